/**
 * Value coverage of the OCSF and ECS mappers. An audit trail must not lose
 * evidence when it is mapped, so every leaf value of an event (string,
 * number, boolean, null) has to appear somewhere in each mapping, under
 * whatever name the target gives it.
 *
 * Checked on every example and on variants that fill the optional fields the
 * examples leave out, twice: with the values as they are, and with each leaf
 * changed on its own to a value found nowhere else (the mapping must change,
 * and a new string or number must appear in it). The second pass keeps a
 * dropped field from hiding behind the same value written elsewhere: a
 * `true`, a `1`, a host named like its node.
 *
 * A new event field that a mapper does not carry fails here by name, once an
 * example or a variant below sets it.
 */
import { describe, expect, it } from 'vitest';
import { counterStatusOf, EVENT_TYPES, exampleEvents, parseAuditEvent, toEcs, toOcsf, type AuditEvent } from '../src/index.js';
import { parseImage } from '../src/mappers/common.js';
import { OCSF_STATUS } from '../src/mappers/ocsf-classes.js';

type Leaf = string | number | boolean | null;
type JsonRecord = Record<string, unknown>;

const MAPPERS = { ocsf: toOcsf, ecs: toEcs } as const;
type Kind = keyof typeof MAPPERS;
type Mapper = (e: AuditEvent) => unknown;

/** Every primitive leaf of a JSON value, with its dotted path (array items by index). */
function leaves(value: unknown, path = ''): { path: string; value: Leaf }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, `${path}.${i}`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => leaves(v, path ? `${path}.${k}` : k));
  }
  return value === undefined ? [] : [{ path, value: value as Leaf }];
}

/** A reference's parts: the mappers split it (OCSF objects/image.json name, tag; ECS container.image.*). */
function imageParts(v: Leaf): Leaf[] {
  const ref = parseImage(String(v));
  return [ref.name, ref.tag, ref.digest].filter((p) => p !== undefined);
}

/**
 * Leaves a mapper writes in another form on purpose, by path. A leaf is
 * covered when its value appears, or every form listed here does.
 */
const TRANSFORMED: Record<Kind, Record<string, (v: Leaf) => Leaf[]>> = {
  ocsf: {
    // OCSF `time` is a timestamp_t, milliseconds since the epoch (dictionary.json `time`).
    event_time: (v) => [Date.parse(String(v))],
    // base_event.json: the outcome is status_id / status ("failure" -> 2 "Failure").
    outcome: (v) => [OCSF_STATUS[v as keyof typeof OCSF_STATUS]?.status ?? null],
    'container.image': imageParts,
  },
  ecs: {
    'container.image': imageParts,
  },
};

function covered(kind: Kind, mapped: ReadonlySet<Leaf>, path: string, value: Leaf): boolean {
  if (mapped.has(value)) return true;
  const forms = TRANSFORMED[kind][path]?.(value);
  return forms !== undefined && forms.length > 0 && forms.every((f) => mapped.has(f));
}

function mappedLeaves(map: Mapper, e: AuditEvent): Set<Leaf> {
  return new Set(leaves(map(e)).map((l) => l.value));
}

/** The leaves of `e` whose value the mapping does not carry, as `path=value`. */
function uncovered(kind: Kind, map: Mapper, e: AuditEvent): string[] {
  const mapped = mappedLeaves(map, e);
  return leaves(e)
    .filter((l) => !covered(kind, mapped, l.path, l.value))
    .map((l) => `${l.path}=${JSON.stringify(l.value)}`);
}

/**
 * Leaves the second pass does not vary on their own (the first pass still
 * checks their values).
 */
function heldFixed(kind: Kind, e: AuditEvent, path: string): boolean {
  // The discriminator: it selects the mapping.
  if (path === 'event_type') return true;
  // z.literal('security_audit'): no other value exists; OCSF writes the constant as metadata.log_name.
  if (path === 'log_type') return true;
  // On a container event `runtime` is the container the event is about
  // (envelope.ts, runtimeSchema), so runtime.container_id is container.id:
  // ECS has one container.id and writes it once.
  if (kind === 'ecs' && path === 'runtime.container_id' && 'container' in e) return true;
  return false;
}

const OUTCOMES = ['success', 'failure', 'unknown'] as const;

/** A new value for the leaf at `path`: one no example or variant uses (for `outcome`, the next member). */
function freshValue(path: string, value: Leaf, n: number): Leaf {
  if (path === 'event_time') return new Date(Date.UTC(2001, 0, 1) + n * 1000).toISOString();
  // An enum the OCSF mapper looks up (OCSF_STATUS): the next member.
  if (path === 'outcome') return OUTCOMES[(OUTCOMES.indexOf(value as (typeof OUTCOMES)[number]) + 1) % OUTCOMES.length]!;
  if (typeof value === 'string') return `fresh-${n}-value`;
  if (typeof value === 'number') return 7_700_000 + n;
  if (typeof value === 'boolean') return !value;
  return false; // null (webauthn.signature_valid)
}

function withLeaf(e: AuditEvent, path: string, value: Leaf): AuditEvent {
  const copy = structuredClone(e) as unknown as JsonRecord;
  const keys = path.split('.');
  let target = copy;
  for (const k of keys.slice(0, -1)) target = target[k] as JsonRecord;
  target[keys.at(-1)!] = value;
  return copy as unknown as AuditEvent;
}

/** The leaves of `e` that, changed on their own, leave the mapping unchanged or are not found in it. */
function insensitive(kind: Kind, map: Mapper, e: AuditEvent): string[] {
  const before = JSON.stringify(map(e));
  const problems: string[] = [];
  leaves(e).forEach(({ path, value }, n) => {
    if (heldFixed(kind, e, path)) return;
    const fresh = freshValue(path, value, n);
    const changed = withLeaf(e, path, fresh);
    if (JSON.stringify(map(changed)) === before) problems.push(`${path}: changing it does not change the mapping`);
    else if (typeof fresh !== 'boolean' && !covered(kind, mappedLeaves(map, changed), path, fresh)) {
      problems.push(`${path}: the new value ${JSON.stringify(fresh)} is not in the mapping`);
    }
  });
  return problems;
}

// Variants: values used nowhere in the examples, so a match is never a coincidence.

const ENVELOPE_EXTRAS = {
  producer: { service: 'billing-api', version: '3.1.4', sdk_version: '0.2.7', instance: 'billing-api.2.q9w8e' },
  user_id: 'u_variant_42',
  client_ip: '198.51.100.23',
  client_ip_source: 'forwarded',
  peer_ip: '192.0.2.200',
  user_agent: 'curl/8.5.0 (variant)',
  user_agent_truncated: true,
} as const;

const ERROR_EXTRA = { code: 'VARIANT_FAILED', message: 'Variant failure for the coverage test', type: 'RangeError' } as const;

const INTEGRITY_EXTRA = {
  v: 1,
  alg: 'HMAC-SHA256',
  chain_id: '01a1f830-0000-7000-8000-00000000c0de',
  seq: 17,
  epoch: 2,
  kid: 'audit-2026-12',
  prev: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8',
  mac: 'ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8',
} as const;

/**
 * Every optional WebAuthn detail; an example's own values win (some are
 * literals for its type). counter_status is what the counters beside it
 * give (everyField): the schema refuses one they contradict.
 */
const WEBAUTHN_EXTRAS = {
  credential_id: 'dmFyaWFudC1jcmVkZW50aWFsLWlkLWZvci1jb3ZlcmFnZQ',
  rp_id: 'login.example.org',
  origin: 'https://login.example.org',
  top_origin: 'https://portal.example.net',
  cross_origin: true,
  aaguid: 'ee882879-721c-4913-9775-3dfcce97072a',
  attestation_fmt: 'packed',
  cose_alg: -257,
  transports: ['usb', 'nfc'],
  user_verified: false,
  credential_device_type: 'singleDevice',
  credential_backed_up: false,
  sign_count: 90_210,
  stored_sign_count: 90_209,
  signature_valid: null,
  failure_stage: 'user_verification',
} as const;

const WRAPPED_KEY = {
  alg: 'X25519-HKDF-SHA256-A256GCM',
  epk: 'QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8',
  iv: 'YGFiY2RlZmdoaWpr',
  ct: 'gIGCg4SFhoeIiYqLjI2Oj5CRkpOUlZaXmJmam5ydnp8',
  tag: 'oKGio6SlpqeoqaqrrK2urw',
} as const;

/** The example with every optional field set. */
function everyField(e: AuditEvent): JsonRecord {
  const out: JsonRecord = { ...e, ...ENVELOPE_EXTRAS, error: e.error ?? ERROR_EXTRA, integrity: e.integrity ?? INTEGRITY_EXTRA };
  if ('webauthn' in e) {
    const w = { ...WEBAUTHN_EXTRAS, ...e.webauthn };
    out.webauthn = { counter_status: counterStatusOf(w.stored_sign_count, w.sign_count), ...w };
  }
  if ('container' in e) out.container = { privileged: false, capabilities: ['CAP_NET_RAW', 'CAP_CHOWN'], ...e.container };
  if ('process' in e) out.process = { pid: 31_337, interactive: false, ...e.process };
  // Kubernetes `kubectl --as`: the identity the exec's user acted as.
  if (e.event_type === 'CONTAINER_EXEC') out.impersonated_user_id = 'system:serviceaccount:variant:deployer';
  // How a container ended is a stop's alone: a CONTAINER_START refuses exit_code and signal.
  if (e.event_type === 'CONTAINER_STOP') out.lifecycle = { exit_code: 143, signal: 'SIGTERM', ...e.lifecycle };
  if ('chain' in e) {
    out.chain = 'mode' in e.chain ? { ...e.chain, mode: 'sealed', wrapped_key: WRAPPED_KEY } : { reason: 'epoch rollover', ...e.chain };
  }
  return out;
}

function omit(o: object, ...keys: string[]): JsonRecord {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
}

/** Only the TCP peer is known (no trusted proxy header): no `client_ip`. */
function peerOnly(e: AuditEvent): JsonRecord {
  return { ...omit(e, 'client_ip', 'client_ip_source'), peer_ip: '192.0.2.201' };
}

/** The client connected directly: the peer is the client. */
function direct(e: AuditEvent): JsonRecord {
  return { ...e, client_ip: '198.51.100.77', client_ip_source: 'socket', peer_ip: '198.51.100.77' };
}

/** A container known by image digest only (a runtime that reports no reference). */
function digestOnly(e: AuditEvent): JsonRecord {
  return 'container' in e ? { ...e, container: omit(e.container, 'image') } : { ...e };
}

/** A container named but not identified, as a Kubernetes audit event names it (no runtime id anywhere). */
function noContainerId(e: AuditEvent): JsonRecord {
  if (!('container' in e)) return { ...e };
  const runtime = e.runtime ? omit(e.runtime, 'container_id') : undefined;
  return { ...e, container: omit(e.container, 'id'), ...(runtime ? { runtime } : {}) };
}

/** A container with neither id nor name (an exec into a pod's only container): OCSF has no container object for it. */
function unnamedContainer(e: AuditEvent): JsonRecord {
  const out = noContainerId(e);
  return 'container' in e ? { ...out, container: omit(out.container as object, 'name') } : out;
}

/** The variant as the schema parses it: a variant must be an event a producer could send. */
function valid(input: JsonRecord): AuditEvent {
  const result = parseAuditEvent(input);
  if (!result.ok) throw new Error(`invalid variant of ${String(input.event_type)}: ${JSON.stringify(result.issues)}`);
  return result.event;
}

interface Case {
  name: string;
  event: AuditEvent;
}

const CASES: Case[] = EVENT_TYPES.flatMap((type) => {
  const e = exampleEvents[type] as AuditEvent;
  return [
    { name: `${type} example`, event: e },
    { name: `${type} with every optional field`, event: valid(everyField(e)) },
    { name: `${type} with peer_ip and no client_ip`, event: valid(peerOnly(e)) },
    { name: `${type} with peer_ip = client_ip`, event: valid(direct(e)) },
    ...('container' in e
      ? [
          { name: `${type} with image_digest and no image`, event: valid(digestOnly(e)) },
          { name: `${type} without container.id`, event: valid(noContainerId(e)) },
          { name: `${type} without container.id or name`, event: valid(unnamedContainer(e)) },
        ]
      : []),
  ];
});

const CASE_ROWS = CASES.map((c) => [c.name, c.event] as const);

describe.each(Object.keys(MAPPERS) as Kind[])('%s mapper value coverage', (kind) => {
  it.each(CASE_ROWS)('keeps every leaf value of %s', (_name, event) => {
    expect(uncovered(kind, MAPPERS[kind], event)).toEqual([]);
  });

  it.each(CASE_ROWS)('follows every leaf of %s changed on its own', (_name, event) => {
    expect(insensitive(kind, MAPPERS[kind], event)).toEqual([]);
  });
});

describe('the coverage check', () => {
  const e = valid(everyField(exampleEvents.CONTAINER_EXEC as AuditEvent));
  /** toEcs losing process.tty, whose value `true` is still written elsewhere (user_agent_truncated). */
  const losesTty: Mapper = (x) => {
    const doc = toEcs(x) as JsonRecord;
    delete (doc.audit_trail as JsonRecord).process;
    return doc;
  };
  /** toEcs losing user_agent, whose value appears nowhere else. */
  const losesUserAgent: Mapper = (x) => ({ ...toEcs(x), user_agent: undefined });

  it('names a dropped leaf whose value appears nowhere else', () => {
    expect(uncovered('ecs', losesUserAgent, e)).toContain('user_agent="curl/8.5.0 (variant)"');
  });

  it('names a dropped leaf whose value hides elsewhere, once the leaf is changed on its own', () => {
    expect(uncovered('ecs', losesTty, e)).not.toContain('process.tty=true');
    expect(insensitive('ecs', losesTty, e)).toContain('process.tty: changing it does not change the mapping');
  });
});

describe('where the fields once dropped go', () => {
  const full = (type: keyof typeof exampleEvents): AuditEvent => valid(everyField(exampleEvents[type] as AuditEvent));
  const proxied = { ip: ENVELOPE_EXTRAS.client_ip, intermediate_ips: [ENVELOPE_EXTRAS.peer_ip] };

  it('OCSF: a proxy peer_ip is src_endpoint.intermediate_ips, of the event or of the finding evidence', () => {
    expect(toOcsf(exampleEvents.WEBAUTHN_AUTH_FAILURE).src_endpoint).toEqual({ ip: '203.0.113.42', intermediate_ips: ['10.0.9.17'] });
    expect(toOcsf(full('WEBAUTHN_REG_SUCCESS')).src_endpoint).toEqual(proxied);
    expect(toOcsf(full('AUDIT_CHECKPOINT')).src_endpoint).toEqual(proxied);
    expect(toOcsf(full('WEBAUTHN_COUNTER_REGRESSION')).evidences).toMatchObject([{ src_endpoint: proxied }]);
    expect(toOcsf(full('CONTAINER_PRIVILEGED')).evidences).toMatchObject([{ src_endpoint: proxied }]);
  });

  it('OCSF: peer_ip is not an intermediate when it is the client, and is unmapped when no endpoint can hold it', () => {
    const e = valid(direct(exampleEvents.WEBAUTHN_AUTH_SUCCESS as AuditEvent));
    expect(toOcsf(e).src_endpoint).toEqual({ ip: '198.51.100.77' });
    const peer = valid(peerOnly(exampleEvents.WEBAUTHN_AUTH_SUCCESS as AuditEvent));
    expect(toOcsf(peer)).not.toHaveProperty('src_endpoint');
    expect(toOcsf(peer).unmapped).toMatchObject({ peer_ip: '192.0.2.201' });
  });

  it('OCSF: user_id, client_ip, peer_ip, user_agent of container and chain records', () => {
    // No user.type_id on these actors: objects/user.json separates 1 User from
    // 4 Service, which user_id alone does not tell (see mappers-spec.test.ts).
    const user = { uid: ENVELOPE_EXTRAS.user_id };
    const client = { client_ip: ENVELOPE_EXTRAS.client_ip, peer_ip: ENVELOPE_EXTRAS.peer_ip, user_agent: ENVELOPE_EXTRAS.user_agent };
    for (const type of ['CONTAINER_EXEC', 'CONTAINER_START', 'CONTAINER_STOP'] as const) {
      expect(toOcsf(full(type))).toMatchObject({ actor: { user }, unmapped: client });
    }
    expect(toOcsf(full('CONTAINER_PRIVILEGED')).evidences).toMatchObject([
      { actor: { user }, src_endpoint: proxied, http_request: { user_agent: ENVELOPE_EXTRAS.user_agent } },
    ]);
    expect(toOcsf(full('AUDIT_CHAIN_OPEN'))).toMatchObject({
      actor: { user, app_name: 'billing-api' },
      src_endpoint: proxied,
      unmapped: { user_agent: ENVELOPE_EXTRAS.user_agent },
    });
    expect(toOcsf(full('AUDIT_SCHEMA_VIOLATION')).unmapped).toMatchObject({ user_id: ENVELOPE_EXTRAS.user_id, ...client });
    expect(toOcsf(full('WEBAUTHN_COUNTER_REGRESSION')).evidences).toMatchObject([
      { http_request: { user_agent: ENVELOPE_EXTRAS.user_agent } },
    ]);
  });

  it('OCSF: container.privileged, capabilities, and the process of a privileged container', () => {
    expect(toOcsf(full('CONTAINER_START')).unmapped).toMatchObject({
      container_privileged: false,
      capabilities: ['CAP_NET_RAW', 'CAP_CHOWN'],
    });
    const privileged = toOcsf(full('CONTAINER_PRIVILEGED'));
    expect(privileged.evidences).toMatchObject([
      { process: { cmd_line: '/usr/local/bin/payments-api --port 8080', pid: 31_337, user: { name: 'root' } } },
    ]);
    expect(privileged.unmapped).toMatchObject({ container_privileged: true, tty: false, interactive: false });
  });

  it('OCSF: a finding, whose status is its own state, keeps the outcome of the event in unmapped', () => {
    expect(toOcsf(exampleEvents.WEBAUTHN_COUNTER_REGRESSION)).toMatchObject({ status: 'New', unmapped: { outcome: 'failure' } });
    expect(toOcsf(exampleEvents.WEBAUTHN_AUTH_FAILURE).unmapped).not.toHaveProperty('outcome');
  });

  it('OCSF and ECS: an image known by digest only', () => {
    const e = valid(digestOnly(exampleEvents.CONTAINER_EXEC as AuditEvent));
    const digest = exampleEvents.CONTAINER_EXEC.container.image_digest;
    expect(toOcsf(e).process).toMatchObject({ container: { image: { uid: digest } } });
    expect(toEcs(e).container).toMatchObject({ image: { hash: { all: [digest] } } });
  });

  it('ECS: producer.sdk_version is audit_trail.sdk_version', () => {
    expect(toEcs(exampleEvents.WEBAUTHN_AUTH_SUCCESS).audit_trail).toMatchObject({ sdk_version: '0.1.0' });
  });
});
