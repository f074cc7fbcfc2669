/**
 * Values of the OCSF and ECS mappings checked against the published
 * specifications, one test per corrected field. Each comment names the
 * definition the value comes from:
 *
 * - OCSF: ocsf/ocsf-schema (`events/`, `objects/`, `profiles/`,
 *   `dictionary.json`) and the reference validator ocsf/ocsf-server
 *   `lib/schema/validator2.ex`.
 * - ECS: elastic/ecs `schemas/event.yml`, as generated in
 *   `generated/ecs/ecs_flat.yml`.
 */
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, exampleEvents, INSERT_COLUMNS, parseAuditEvent, toEcs, toOcsf, toRow, type AuditEvent } from '../src/index.js';

const ALL = EVENT_TYPES.map((t) => exampleEvents[t] as AuditEvent);

describe('OCSF metadata.profiles', () => {
  // objects/metadata.json `profiles`: "The list of profiles used to create the
  // event". ocsf-server validator2.ex filter_with_profiles: "for an event we
  // want to _always_ filter profile-specific attributes", so an attribute that
  // only a profile adds is "attribute_unknown" unless the event lists it.

  it('lists host for Application Lifecycle, whose actor and device come from profiles/host.json', () => {
    // events/base_event.json includes profiles/host.json (actor, device);
    // application_lifecycle.json and application.json do not redefine them.
    for (const type of ['CONTAINER_START', 'CONTAINER_STOP'] as const) {
      const o = toOcsf(exampleEvents[type]);
      expect(o).toHaveProperty('device');
      expect(o.metadata.profiles).toEqual(['host']);
    }
  });

  it('lists container for Process Activity, whose process.container comes from profiles/container.json', () => {
    // objects/process.json: "$include": ["profiles/container.json"]. The
    // class's own actor and device need no profile (events/system/system.json
    // defines them with "profile": null).
    const o = toOcsf(exampleEvents.CONTAINER_EXEC);
    expect(o).toMatchObject({ process: { container: { uid: exampleEvents.CONTAINER_EXEC.container.id } } });
    expect(o.metadata.profiles).toEqual(['container']);
  });

  it('lists no profile where every attribute belongs to the class', () => {
    // Event Log Activity (event_log_activity.json), Detection Finding
    // (finding.json `device`, detection_finding.json `is_alert`) and the IAM
    // classes define the attributes the mapper writes with "profile": null.
    const without = ALL.filter((e) => !['CONTAINER_START', 'CONTAINER_STOP', 'CONTAINER_EXEC'].includes(e.event_type));
    for (const e of without) expect(toOcsf(e).metadata).not.toHaveProperty('profiles');
  });
});

describe('OCSF type_name', () => {
  it('is the caption of type_uid, "<class>: Other" for activity 99, while activity_name keeps the source name', () => {
    // dictionary.json: type_name "The event/finding type name, as defined by
    // the type_uid" (its sibling); activity_id 99 "Other: ... See the
    // activity_name attribute, which contains a data source specific value".
    const o = toOcsf(exampleEvents.AUDIT_CHECKPOINT);
    expect(o).toMatchObject({ type_uid: 100899, activity_id: 99, activity_name: 'Checkpoint' });
    expect(o.type_name).toBe('Event Log Activity: Other');
  });

  it('is "<class>: <activity caption>" for defined activities', () => {
    expect(toOcsf(exampleEvents.AUDIT_CHAIN_OPEN).type_name).toBe('Event Log Activity: Start');
    expect(toOcsf(exampleEvents.WEBAUTHN_AUTH_FAILURE).type_name).toBe('Authentication: Logon');
  });
});

describe('OCSF user.type_id', () => {
  it('is not asserted for the actor of a container event, which may be a service account', () => {
    // objects/user.json type_id: 1 "User: Regular user account", 4 "Service:
    // Service account" (added in 1.6.0). The example's actor is a Kubernetes
    // service account; the envelope's user_id does not say which kind it is.
    const e = exampleEvents.CONTAINER_EXEC;
    expect(e.user_id).toMatch(/^system:serviceaccount:/);
    const user = (toOcsf(e).actor as { user: Record<string, unknown> }).user;
    expect(user).toEqual({ uid: e.user_id });
  });

  it('is not asserted for the actor of a chain record or a privileged-container finding', () => {
    const chain = { ...exampleEvents.AUDIT_CHAIN_OPEN, user_id: 'ops-bot' } as AuditEvent;
    expect((toOcsf(chain).actor as { user: unknown }).user).toEqual({ uid: 'ops-bot' });
    const privileged = { ...exampleEvents.CONTAINER_PRIVILEGED, user_id: 'ops-bot' } as AuditEvent;
    expect(toOcsf(privileged).evidences).toMatchObject([{ actor: { user: { uid: 'ops-bot' } } }]);
    expect((toOcsf(privileged).evidences as { actor: { user: object } }[])[0]!.actor.user).not.toHaveProperty('type_id');
  });

  it('stays 1 User for the account that signs in or registers a passkey', () => {
    expect(toOcsf(exampleEvents.WEBAUTHN_AUTH_SUCCESS).user).toMatchObject({ type_id: 1, type: 'User' });
    expect(toOcsf(exampleEvents.WEBAUTHN_REG_SUCCESS).user).toMatchObject({ type_id: 1, type: 'User' });
  });
});

describe('ECS event.type of a pipeline error', () => {
  it('is absent: event.kind pipeline_error replaces event.type error', () => {
    // ecs_flat.yml event.type allowed value `error`: "Note that pipeline
    // errors that occur during the event ingestion process should not use
    // this event.type value. Instead, they should use event.kind:pipeline_error."
    const ecs = toEcs(exampleEvents.AUDIT_SCHEMA_VIOLATION);
    expect(ecs.event.kind).toBe('pipeline_error');
    expect(ecs.event).not.toHaveProperty('type');
    expect(ecs.event).not.toHaveProperty('category');
  });
});

describe('ECS event.code', () => {
  it('identifies the kind of event, as OCSF metadata.event_code does; the error code stays in error.code', () => {
    // ecs_flat.yml event.code: "Identification code for this event ... An
    // example of this is the Windows Event ID" (one code per kind of event,
    // not per failure reason); error.code: "Error code describing the error".
    // OCSF dictionary.json event_code: "The Event ID, Code, or Name that the
    // product uses to primarily identify the event".
    const e = exampleEvents.WEBAUTHN_AUTH_FAILURE;
    const ecs = toEcs(e);
    expect(ecs.event.code).toBe('WEBAUTHN_AUTH_FAILURE');
    expect(ecs.event.code).toBe(toOcsf(e).metadata.event_code);
    expect(ecs.error).toMatchObject({ code: e.error.code });
    for (const x of ALL) expect(toEcs(x).event.code).toBe(x.event_type);
  });
});

describe('a container event without container.id (Kubernetes audit names a pod and a container, no runtime id)', () => {
  const k8sExec = (container: Record<string, unknown>): AuditEvent =>
    ({
      ...exampleEvents.CONTAINER_EXEC,
      container,
      runtime: { k8s_namespace: 'shop', k8s_pod: 'cart-5d8f7c9b4-x2x7q', k8s_container: 'app' },
      detector: { name: 'kubernetes-audit', rule: 'pods/exec' },
    }) as AuditEvent;

  it('OCSF: a container object only with a uid or a name (objects/container.json at_least_one: uid, name), else its facts in unmapped', () => {
    const named = toOcsf(k8sExec({ name: 'app' }));
    expect((named.process as Record<string, unknown>).container).toEqual({ name: 'app', orchestrator: 'kubernetes' });
    expect(named.metadata.profiles).toEqual(['container']);
    expect(named.message).toBe('Process launched in container app');
    // container.json "constraints": { "at_least_one": ["uid", "name"] }: an object with neither is invalid.
    const o = toOcsf(k8sExec({ image: 'registry.example.com/cart:2.0.1' }));
    expect(o.process).not.toHaveProperty('container');
    expect(o.metadata).not.toHaveProperty('profiles');
    expect(o.unmapped).toMatchObject({ container: { image: 'registry.example.com/cart:2.0.1' }, runtime: { k8s_pod: 'cart-5d8f7c9b4-x2x7q' } });
    expect(o.message).toBe('Process launched in container of pod shop/cart-5d8f7c9b4-x2x7q');
  });

  it('OCSF: a device always has an identifying attribute (objects/_endpoint.json at_least_one, which device.json extends): the host, else the producer instance, else "(unknown)"', () => {
    const ids = ['ip', 'uid', 'name', 'hostname', 'instance_uid', 'interface_uid', 'interface_name'];
    for (const e of ALL) {
      const { runtime: _r, ...placeless } = e;
      const { instance: _i, ...producer } = e.producer;
      for (const variant of [e, placeless, { ...placeless, producer }] as AuditEvent[]) {
        const d = toOcsf(variant).device as Record<string, unknown> | undefined;
        if (d === undefined) continue;
        expect(ids.filter((k) => d[k] !== undefined), `${e.event_type} ${JSON.stringify(d)}`).not.toEqual([]);
      }
    }
    const { runtime: _r, ...placeless } = exampleEvents.CONTAINER_START as AuditEvent;
    expect(toOcsf({ ...placeless, producer: { service: 'api', instance: 'api-7' } } as AuditEvent).device).toEqual({ type_id: 1, type: 'Server', name: 'api-7' });
    expect(toOcsf({ ...placeless, producer: { service: 'api' } } as AuditEvent).device).toEqual({ type_id: 1, type: 'Server', name: '(unknown)' });
    expect(toOcsf(exampleEvents.CONTAINER_START).device).toEqual({ type_id: 1, type: 'Server', hostname: exampleEvents.CONTAINER_START.runtime!.host ?? exampleEvents.CONTAINER_START.runtime!.k8s_node ?? exampleEvents.CONTAINER_START.runtime!.swarm_node });
  });

  it('OCSF and ECS: addresses compared and written as addresses, so a client in another spelling is not its own proxy (found by a probe)', () => {
    const e = { ...exampleEvents.WEBAUTHN_AUTH_FAILURE, client_ip: '2001:DB8::7', peer_ip: '2001:db8:0::7' } as AuditEvent;
    expect(toOcsf(e).src_endpoint).toEqual({ ip: '2001:db8::7' });
    expect(toEcs(e).source).toEqual({ ip: '2001:db8::7' });
    expect(toEcs(e).related).toMatchObject({ ip: ['2001:db8::7'] });
    const mapped = { ...exampleEvents.WEBAUTHN_AUTH_FAILURE, client_ip: '::FFFF:203.0.113.42', peer_ip: '10.0.0.2' } as AuditEvent;
    expect(toOcsf(mapped).src_endpoint).toEqual({ ip: '203.0.113.42', intermediate_ips: ['10.0.0.2'] });
  });

  it('OCSF: the text shown to a person (message, finding_info.title) escapes format characters such as U+202E; data fields keep them (found by a probe)', () => {
    const rule = 'Privileged \u202eexe.txt';
    const e = { ...exampleEvents.CONTAINER_PRIVILEGED, container: { ...exampleEvents.CONTAINER_PRIVILEGED.container, name: 'safe\u202etxt.exe\u200b' }, detector: { name: 'falco', rule } } as AuditEvent;
    const o = toOcsf(e);
    expect(o.message).toBe('Privileged container safe\\u202etxt.exe\\u200b');
    expect((o.finding_info as { title: string; analytic: { name: string } }).title).toBe('Privileged \\u202eexe.txt');
    expect((o.finding_info as { analytic: { name: string } }).analytic.name).toBe(rule);
  });

  it('OCSF: a container started with no name, id or image is the app of its Kubernetes container or pod, not a phrase of the message (found by a probe)', () => {
    const { container: _c, ...rest } = exampleEvents.CONTAINER_START as AuditEvent & { container: unknown };
    const start = (runtime: Record<string, string>) => ({ ...rest, container: {}, runtime }) as unknown as AuditEvent;
    expect(toOcsf(start({ k8s_namespace: 'payments', k8s_pod: 'api-7d9c', k8s_container: 'api' })).app).toMatchObject({ name: 'api' });
    expect(toOcsf(start({ k8s_namespace: 'payments', k8s_pod: 'api-7d9c' })).app).toMatchObject({ name: 'api-7d9c' });
    expect(toOcsf(start({ k8s_namespace: 'payments', k8s_pod: 'api-7d9c' })).message).toBe('Container of pod payments/api-7d9c started');
  });

  it('OCSF: Process Activity always has its actor (events/system/system.json: required), the producing service when no user or detector is named (found by a probe)', () => {
    const { user_id: _u, detector: _d, ...bare } = exampleEvents.CONTAINER_EXEC as AuditEvent & { detector?: unknown };
    const o = toOcsf(bare as AuditEvent);
    expect(o.actor).toEqual({ app_name: exampleEvents.CONTAINER_EXEC.producer.service });
  });

  it('OCSF and ECS: runtime.container_id, the same container on a container event, stands in for the id', () => {
    const start = { ...exampleEvents.CONTAINER_START, container: { name: 'db' } } as AuditEvent;
    const id = exampleEvents.CONTAINER_START.runtime!.container_id;
    expect(toOcsf(start)).toMatchObject({ app: { name: 'db', uid: id }, unmapped: { container: { uid: id, name: 'db' } } });
    expect(toEcs(start).container).toEqual({ id, name: 'db' });
  });

  it('ECS: no container.id, and the person who acted as another in user.effective (ecs_flat.yml: "User whose privileges were assumed")', () => {
    const e = { ...k8sExec({ name: 'app' }), user_id: 'alice@example.com', impersonated_user_id: 'system:serviceaccount:shop:deployer' } as AuditEvent;
    const ecs = toEcs(e);
    expect(ecs.container).toEqual({ name: 'app' });
    expect(ecs.user).toEqual({ id: 'alice@example.com', effective: { id: 'system:serviceaccount:shop:deployer' } });
    expect((ecs.related as { user: string[] }).user).toEqual(['alice@example.com', 'system:serviceaccount:shop:deployer']);
    expect(toOcsf(e)).toMatchObject({ actor: { user: { uid: 'alice@example.com' } }, unmapped: { impersonated_user_id: 'system:serviceaccount:shop:deployer' } });
  });
});

/** Every object under `key` anywhere in `value`, with its path. */
function objectsUnder(value: unknown, key: string, path = ''): [string, Record<string, unknown>][] {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [
    ...(k === key && v !== null && typeof v === 'object' && !Array.isArray(v) ? [[`${path}${k}`, v as Record<string, unknown>] as [string, Record<string, unknown>]] : []),
    ...objectsUnder(v, key, `${path}${k}.`),
  ]);
}

/** Each example, and each example without one of its optional fields (every field the schema lets go). */
function examplesAndReductions(): [string, AuditEvent][] {
  const out: [string, AuditEvent][] = [];
  const paths = (o: unknown, pre: string[] = []): string[][] =>
    o && typeof o === 'object' && !Array.isArray(o) ? Object.entries(o).flatMap(([k, v]) => [[...pre, k], ...paths(v, [...pre, k])]) : [];
  for (const e of ALL) {
    out.push([e.event_type, e]);
    for (const p of paths(e)) {
      const copy = structuredClone(e) as Record<string, any>;
      let at = copy;
      for (const k of p.slice(0, -1)) at = at[k];
      delete at[p.at(-1)!];
      const parsed = parseAuditEvent(copy);
      if (parsed.ok) out.push([`${e.event_type} without ${p.join('.')}`, parsed.event]);
    }
  }
  return out;
}

describe('OCSF object constraints hold for every event the schema accepts (found by a probe)', () => {
  const events = examplesAndReductions();

  it('reaches events without user_id and processes without pid', () => {
    expect(events.some(([name]) => /^WEBAUTHN_AUTH_FAILURE without user_id$/.test(name))).toBe(true);
    expect(events.some(([name]) => /^CONTAINER_EXEC without process\.pid$/.test(name))).toBe(true);
  });

  it('objects/user.json: every user has at least one of account, name, uid', () => {
    const bad = events.flatMap(([name, e]) =>
      objectsUnder(toOcsf(e), 'user')
        .filter(([, u]) => !['account', 'name', 'uid'].some((k) => k in u))
        .map(([path, u]) => `${name}: ${path} = ${JSON.stringify(u)}`),
    );
    expect(bad).toEqual([]);
  });

  it('objects/process.json: every process has at least one of pid, uid', () => {
    const bad = events.flatMap(([name, e]) =>
      objectsUnder(toOcsf(e), 'process')
        .filter(([, p]) => !('pid' in p) && !('uid' in p))
        .map(([path, p]) => `${name}: ${path} = ${JSON.stringify(p)}`),
    );
    expect(bad).toEqual([]);
  });

  it('objects/evidences.json: every evidence has at least one attribute its at_least_one counts (container and http_request do not; found by a probe)', () => {
    const counted = ['actor', 'api', 'connection_info', 'data', 'database', 'databucket', 'device', 'dst_endpoint', 'email', 'file', 'process', 'query', 'resources', 'src_endpoint', 'url', 'user', 'job', 'script'];
    const bad = events.flatMap(([name, e]) =>
      ((toOcsf(e).evidences as Record<string, unknown>[] | undefined) ?? [])
        .filter((ev) => !counted.some((k) => ev[k] !== undefined && !(k === 'actor' && Object.keys(ev[k] as object).length === 0)))
        .map((ev) => `${name}: ${JSON.stringify(ev)}`),
    );
    expect(bad).toEqual([]);
    // The docker-events alert the probe found: no user, process or client.
    const { user_id: _u, process: _p, client_ip: _c, peer_ip: _i, user_agent: _a, ...rest } = exampleEvents.CONTAINER_PRIVILEGED as AuditEvent & Record<string, unknown>;
    const bare = parseAuditEvent({ ...rest, producer: { service: 'docker-events' } });
    if (!bare.ok) throw new Error(JSON.stringify(bare.issues));
    expect((toOcsf(bare.event).evidences as Record<string, unknown>[])[0]).toHaveProperty('device');
  });

  it('a WebAuthn failure that names no user maps to the Unknown user (type_id 0), never to a made-up uid', () => {
    // Authentication 3002 and Account Change 3001 require `user`
    // (events/iam/authentication.json, account_change.json); the event names
    // neither a user id nor a user name.
    for (const type of ['WEBAUTHN_AUTH_FAILURE', 'WEBAUTHN_REG_FAILURE'] as const) {
      const { user_id: _u, ...rest } = exampleEvents[type];
      const o = toOcsf(rest as AuditEvent);
      const credential = rest.webauthn.credential_id;
      expect(o.user).toEqual({ type_id: 0, type: 'Unknown', name: '(unknown)', ...(credential ? { credential_uid: credential } : {}) });
    }
    expect(toOcsf(exampleEvents.WEBAUTHN_AUTH_FAILURE).user).toMatchObject({ type_id: 1, uid: exampleEvents.WEBAUTHN_AUTH_FAILURE.user_id });
  });

  it('a process without pid (Kubernetes audit pods/exec) has the event id as its uid; one with a pid keeps only the pid', () => {
    const { pid: _p, ...process } = exampleEvents.CONTAINER_EXEC.process;
    const e = { ...exampleEvents.CONTAINER_EXEC, process } as AuditEvent;
    expect(toOcsf(e).process).toMatchObject({ uid: e.event_id });
    expect(toOcsf(e).process).not.toHaveProperty('pid');
    expect(toOcsf(exampleEvents.CONTAINER_EXEC).process).toMatchObject({ pid: exampleEvents.CONTAINER_EXEC.process.pid });
    expect(toOcsf(exampleEvents.CONTAINER_EXEC).process).not.toHaveProperty('uid');
  });
});

describe('ECS @timestamp', () => {
  it('has millisecond precision whatever the event was written with: Elasticsearch takes at most nine fraction digits', () => {
    // Elasticsearch `date`: default format strict_date_optional_time||epoch_millis
    // (https://www.elastic.co/guide/en/elasticsearch/reference/current/date.html).
    const cases: [string, string][] = [
      ['2026-11-20T09:00:01.1234567890123Z', '2026-11-20T09:00:01.123Z'],
      [`2026-11-20T09:00:01.${'9'.repeat(30)}Z`, '2026-11-20T09:00:01.999Z'],
      ['2026-11-20T09:00:01Z', '2026-11-20T09:00:01.000Z'],
      ['2026-11-20T09:00:01.12Z', '2026-11-20T09:00:01.120Z'],
      ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ];
    for (const [time, ms] of cases) {
      const parsed = parseAuditEvent({ ...exampleEvents.WEBAUTHN_AUTH_FAILURE, event_time: time });
      expect(parsed.ok).toBe(true);
      if (!parsed.ok) continue;
      expect(toEcs(parsed.event)['@timestamp']).toBe(ms);
      // The same value the table stores in event_timestamp.
      const column = INSERT_COLUMNS.findIndex((c) => c.name === 'event_timestamp');
      expect(toRow(parsed.event, { raw: '' })[column]).toBe(ms);
    }
  });
});
