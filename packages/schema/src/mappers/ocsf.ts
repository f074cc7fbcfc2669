import type { AuditEvent, EventOf } from '../audit-event.js';
import { LOG_TYPE } from '../constants.js';
import { canonicalIp } from '../fields/ip-text.js';
import { escapeFormatChars } from '../fields/text.js';
import { parseImage, prune, type JsonObject } from './common.js';
import {
  OCSF_ACTIVITY_OTHER,
  OCSF_AUTH_PROTOCOL_OTHER,
  OCSF_CLASSES,
  OCSF_DEVICE_SERVER,
  OCSF_FACTOR_WEBAUTHN,
  OCSF_FINDING_NEW,
  OCSF_PROFILE,
  OCSF_SEVERITY,
  OCSF_STATUS,
  OCSF_USER,
  OCSF_USER_UNKNOWN,
  OCSF_VERSION,
  type OcsfClass,
} from './ocsf-classes.js';

/** An OCSF 1.8 event: the base attributes every class requires, plus the class's own (loosely typed). */
export interface OcsfEvent extends JsonObject {
  class_uid: number;
  class_name: string;
  category_uid: number;
  category_name: string;
  activity_id: number;
  activity_name: string;
  type_uid: number;
  type_name: string;
  /** Event time, milliseconds since the Unix epoch (OCSF `timestamp_t`). */
  time: number;
  severity_id: number;
  severity: string;
  status_id: number;
  status: string;
  message: string;
  metadata: JsonObject & { version: string; product: JsonObject; uid: string; profiles?: string[] };
}

type Container = EventOf<'CONTAINER_EXEC'>['container'];
type Process = EventOf<'CONTAINER_EXEC'>['process'];
type WebauthnEvent = EventOf<'WEBAUTHN_AUTH_FAILURE' | 'WEBAUTHN_AUTH_SUCCESS' | 'WEBAUTHN_REG_SUCCESS' | 'WEBAUTHN_REG_FAILURE'>;

/**
 * `type_name`, the caption of `type_uid` (dictionary.json: "as defined by
 * the type_uid"): "<class>: <activity caption>". For 99 the caption is
 * Other, whatever source name `activity_name` carries.
 */
function typeName(cls: OcsfClass, activityId: number, activityName: string): string {
  return `${cls.class_name}: ${activityId === OCSF_ACTIVITY_OTHER ? 'Other' : activityName}`;
}

function base(e: AuditEvent, cls: OcsfClass, activityId: number, activityName: string, message: string): OcsfEvent {
  const finding = cls.category_uid === 2;
  return {
    ...cls,
    activity_id: activityId,
    activity_name: activityName,
    // dictionary.json `type_uid`: class_uid * 100 + activity_id.
    type_uid: cls.class_uid * 100 + activityId,
    type_name: typeName(cls, activityId, activityName),
    time: Date.parse(e.event_time),
    severity_id: e.severity,
    severity: OCSF_SEVERITY[e.severity] ?? 'Other',
    ...(finding ? OCSF_FINDING_NEW : OCSF_STATUS[e.outcome]),
    status_code: e.error?.code,
    status_detail: e.error?.message,
    // Shown to a person: the container and rule names in it may hold format characters (U+202E...).
    message: escapeFormatChars(message),
    metadata: {
      version: OCSF_VERSION,
      product: { name: 'audit-trail', vendor_name: 'audit-trail', version: e.producer.sdk_version },
      uid: e.event_id,
      event_code: e.event_type,
      log_name: LOG_TYPE,
      log_provider: e.producer.service,
      correlation_uid: e.correlation?.request_id ?? e.correlation?.trace_id,
      sequence: e.integrity?.seq,
    },
    unmapped: {
      schema_version: e.schema_version,
      // finding.json redefines status_id as the finding's own state (1 New):
      // the outcome of the event the finding is about has no other home.
      outcome: finding ? e.outcome : undefined,
      producer: e.producer,
      runtime: e.runtime,
      correlation: e.correlation,
      integrity: e.integrity,
      client_ip_source: e.client_ip_source,
      user_agent_truncated: e.user_agent_truncated,
      error_type: e.error?.type,
    },
  };
}

/**
 * The device (objects/device.json), which extends objects/_endpoint.json and
 * so needs `at_least_one: [ip, uid, name, hostname, instance_uid,
 * interface_uid, interface_name]`. Its host name is where the event
 * happened (`runtime`: host, else the node). An event that names no host
 * (`runtime: false` in the logger, an event from a producer that leaves
 * placement out) gets `name`, "any other string that helps to identify the
 * device": the producer's instance (its host name or replica id), else the
 * placeholder `(unknown)`, as for an unknown user (OCSF_USER_UNKNOWN).
 */
function device(e: AuditEvent): JsonObject {
  const r = e.runtime;
  const hostname = r?.host ?? r?.k8s_node ?? r?.swarm_node;
  if (hostname !== undefined) return { ...OCSF_DEVICE_SERVER, hostname };
  return { ...OCSF_DEVICE_SERVER, name: e.producer.instance ?? '(unknown)' };
}

/**
 * objects/image.json requires `uid`: the digest when known, else the
 * reference. A container known by its digest alone still has an image.
 */
function image(c: Container): JsonObject | undefined {
  if (!c.image) return c.image_digest ? { uid: c.image_digest } : undefined;
  const ref = parseImage(c.image);
  return { uid: c.image_digest ?? ref.digest ?? c.image, name: ref.name, tag: ref.tag };
}

/**
 * The container object (objects/container.json), or undefined when the
 * event names neither its id nor its name: container.json requires
 * `at_least_one: [uid, name]`. A Kubernetes audit event has no container
 * id (the API server knows the pod and the container's name); on a
 * container event `runtime.container_id` is the same container
 * (envelope.ts), so it stands in for a missing `container.id`.
 */
function container(c: Container, e: AuditEvent): JsonObject | undefined {
  const r = e.runtime;
  const uid = c.id ?? r?.container_id;
  if (uid === undefined && c.name === undefined) return undefined;
  return {
    uid,
    name: c.name,
    image: image(c),
    runtime: c.runtime,
    orchestrator: r?.k8s_namespace || r?.k8s_pod ? 'kubernetes' : r?.swarm_service ? 'docker-swarm' : undefined,
  };
}

/**
 * The container's facts for `unmapped.container` when container() has no
 * object for them (no id and no name): its image, digest and runtime are
 * kept all the same (its placement is in `unmapped.runtime`).
 */
function unplacedContainer(c: Container, e: AuditEvent): JsonObject | undefined {
  return container(c, e) === undefined ? { image: c.image, image_digest: c.image_digest, runtime: c.runtime } : undefined;
}

/**
 * How a message names the container: its name, else its id, else the
 * Kubernetes pod it runs in (an audit event without a `container`
 * parameter names only the pod).
 */
function containerLabel(c: Container, e: AuditEvent): string {
  const r = e.runtime;
  const pod = r?.k8s_pod ? `of pod ${r.k8s_namespace ? `${r.k8s_namespace}/` : ''}${r.k8s_pod}` : undefined;
  return c.name ?? c.id ?? r?.container_id ?? pod ?? '(unknown)';
}

/**
 * The process object (objects/process.json): command line, pid, and the
 * user it runs as. process.json requires `at_least_one: [pid, uid]`, and a
 * Kubernetes audit event (pods/exec) has no pid: the API server never sees
 * the process. `uid` is "a unique identifier for this process assigned by
 * the producer (tool)" (process.json), and each such event records the
 * start of exactly one process, so the event's id is that identifier:
 * deterministic (the same event maps to the same uid) and unique.
 */
function ocsfProcess(p: Process, e: AuditEvent): JsonObject {
  return {
    cmd_line: p.command_line,
    pid: p.pid,
    uid: p.pid === undefined ? e.event_id : undefined,
    user: p.exec_user ? { name: p.exec_user } : undefined,
  };
}

/** Process facts objects/process.json has no attribute for. */
function processLeftovers(p: Process | undefined): JsonObject {
  return { tty: p?.tty, interactive: p?.interactive, command_line_truncated: p?.command_line_truncated };
}

/** Container facts objects/container.json has no attribute for. */
function containerLeftovers(c: Container): JsonObject {
  return { container_privileged: c.privileged, capabilities: c.capabilities, target_container: c.target };
}

/**
 * The envelope's user as the OCSF user (objects/user.json) who acted, for
 * `actor.user`. No `type_id`: the id alone does not tell a regular user
 * (1) from a service account (4), e.g. Kubernetes `system:serviceaccount:*`.
 */
function user(e: AuditEvent): JsonObject | undefined {
  return e.user_id ? { uid: e.user_id } : undefined;
}

/**
 * Lists the profiles whose attributes `out` carries in `metadata.profiles`
 * (objects/metadata.json): a validator rejects a profile's attributes the
 * event does not declare (ocsf/ocsf-server validator2.ex).
 */
function withProfiles(out: OcsfEvent, ...profiles: string[]): OcsfEvent {
  return { ...out, metadata: { ...out.metadata, profiles } };
}

/**
 * The client as a network_endpoint (objects/network_endpoint.json). The TCP
 * peer, when it is not the client itself, is the proxy that gave us
 * `client_ip` in a header: OCSF keeps it in `intermediate_ips`
 * (dictionary.json: the intermediate IP addresses, e.g. those of the HTTP
 * X-Forwarded-For header). Undefined without `client_ip`: network_endpoint
 * needs an `ip` (its at_least_one constraint does not count intermediate_ips).
 */
function srcEndpoint(e: AuditEvent): JsonObject | undefined {
  if (e.client_ip === undefined) return undefined;
  // Compared and written as addresses (canonicalIp, as the table's client_ip column): `2001:DB8::7`
  // and `2001:db8::7` are one host, not a client behind a proxy (found by a probe).
  const client = canonicalIp(e.client_ip);
  const peer = e.peer_ip === undefined ? undefined : canonicalIp(e.peer_ip);
  return { ip: client, intermediate_ips: peer !== undefined && peer !== client ? [peer] : undefined };
}

/** `peer_ip` when srcEndpoint() has no endpoint to put it in; for `unmapped`. */
function unplacedPeer(e: AuditEvent): string | undefined {
  return e.client_ip === undefined && e.peer_ip !== undefined ? canonicalIp(e.peer_ip) : undefined;
}

/** The client fields, for `unmapped` in classes with no src_endpoint or http_request. */
function clientLeftovers(e: AuditEvent): JsonObject {
  return { client_ip: e.client_ip && canonicalIp(e.client_ip), peer_ip: e.peer_ip && canonicalIp(e.peer_ip), user_agent: e.user_agent };
}

/**
 * The ceremony's `user`, required by both classes it maps to: the account
 * (`uid`), else the unknown user (OCSF_USER_UNKNOWN says why), so that
 * objects/user.json's `at_least_one: [account, name, uid]` always holds.
 */
function webauthnCommon(e: WebauthnEvent): JsonObject {
  const who = e.user_id === undefined ? OCSF_USER_UNKNOWN : { ...OCSF_USER, uid: e.user_id };
  return {
    user: { ...who, credential_uid: e.webauthn.credential_id },
    auth_factors: [OCSF_FACTOR_WEBAUTHN],
    src_endpoint: srcEndpoint(e),
    http_request: { user_agent: e.user_agent, uid: e.correlation?.request_id },
  };
}

/** Adds class-specific leftovers to `unmapped` and moves it last, after the mapped attributes. */
function withUnmapped(out: OcsfEvent, extra: JsonObject): OcsfEvent {
  const { unmapped, ...mapped } = out;
  return { ...mapped, unmapped: { ...(unmapped as JsonObject), ...extra } } as OcsfEvent;
}

function mapEvent(e: AuditEvent): OcsfEvent {
  switch (e.event_type) {
    case 'WEBAUTHN_AUTH_SUCCESS':
    case 'WEBAUTHN_AUTH_FAILURE': {
      const ok = e.event_type === 'WEBAUTHN_AUTH_SUCCESS';
      const out = base(e, OCSF_CLASSES.authentication, 1, 'Logon', `WebAuthn authentication ${ok ? 'succeeded' : 'failed'}`);
      return withUnmapped(
        {
          ...out,
          ...webauthnCommon(e),
          auth_protocol_id: OCSF_AUTH_PROTOCOL_OTHER,
          auth_protocol: 'WebAuthn',
          is_mfa: e.webauthn.user_verified,
          is_remote: true,
          // authentication.json: at_least_one of service, dst_endpoint; the RP is the service.
          service: { name: e.webauthn.rp_id ?? e.producer.service },
        },
        { webauthn: e.webauthn, peer_ip: unplacedPeer(e) },
      );
    }
    case 'WEBAUTHN_REG_SUCCESS':
    case 'WEBAUTHN_REG_FAILURE': {
      const ok = e.event_type === 'WEBAUTHN_REG_SUCCESS';
      const out = base(e, OCSF_CLASSES.accountChange, 10, 'MFA Factor Enable', `WebAuthn registration ${ok ? 'succeeded' : 'failed'}`);
      return withUnmapped({ ...out, ...webauthnCommon(e) }, { webauthn: e.webauthn, peer_ip: unplacedPeer(e) });
    }
    case 'WEBAUTHN_COUNTER_REGRESSION': {
      const title = 'WebAuthn signature counter did not increase (possible cloned authenticator)';
      const out = base(e, OCSF_CLASSES.detectionFinding, 1, 'Create', title);
      return withUnmapped(
        {
          ...out,
          is_alert: true,
          finding_info: { uid: e.event_id, title, types: ['WebAuthn Counter Regression'] },
          evidences: [
            {
              user: { ...OCSF_USER, uid: e.user_id, credential_uid: e.webauthn.credential_id },
              src_endpoint: srcEndpoint(e),
              http_request: { user_agent: e.user_agent },
            },
          ],
        },
        { webauthn: e.webauthn, peer_ip: unplacedPeer(e) },
      );
    }
    case 'CONTAINER_EXEC': {
      const launch = base(e, OCSF_CLASSES.processActivity, 1, 'Launch', `Process launched in container ${containerLabel(e.container, e)}`);
      const placed = container(e.container, e);
      // process.container comes from profiles/container.json (objects/process.json
      // $include); the profile is listed only when the event carries one.
      const out = placed ? withProfiles(launch, OCSF_PROFILE.container) : launch;
      return withUnmapped(
        {
          ...out,
          // events/system/system.json requires actor: with no user and no
          // detector named, the service that reported the exec stands in.
          actor: { user: user(e), app_name: e.detector?.name ?? e.producer.service },
          device: device(e),
          process: { ...ocsfProcess(e.process, e), container: placed },
        },
        // process_activity.json has no src_endpoint or http_request, and
        // objects/user.json no "acting as": the impersonated identity has no home.
        {
          ...processLeftovers(e.process),
          ...containerLeftovers(e.container),
          container: unplacedContainer(e.container, e),
          impersonated_user_id: e.impersonated_user_id,
          detector: e.detector,
          ...clientLeftovers(e),
        },
      );
    }
    case 'CONTAINER_START':
    case 'CONTAINER_STOP': {
      const start = e.event_type === 'CONTAINER_START';
      const [id, name] = start ? (e.lifecycle?.action === 'restart' ? [5, 'Restart'] : [3, 'Start']) : [4, 'Stop'];
      const label = containerLabel(e.container, e);
      const lifecycle = base(e, OCSF_CLASSES.applicationLifecycle, id, name, `Container ${label} ${start ? 'started' : 'stopped'}`);
      const ref = e.container.image ? parseImage(e.container.image) : undefined;
      const uid = e.container.id ?? e.runtime?.container_id;
      // No container lifecycle class exists in OCSF 1.8: the container is the
      // app. The host profile (profiles/host.json) adds actor and device, so
      // the event lists it; the class has no src_endpoint or http_request.
      const out = withProfiles(lifecycle, OCSF_PROFILE.host);
      return withUnmapped(
        {
          ...out,
          // A name, never the message's wording (`of pod ns/pod`, found by a probe): the Kubernetes container's, else its pod's.
          app: { name: e.container.name ?? ref?.name ?? e.runtime?.k8s_container ?? e.runtime?.k8s_pod ?? '(unknown)', uid, version: ref?.tag },
          actor: { user: user(e) },
          device: device(e),
        },
        {
          container: container(e.container, e) ?? unplacedContainer(e.container, e),
          ...containerLeftovers(e.container),
          lifecycle: e.lifecycle,
          detector: e.detector,
          ...clientLeftovers(e),
        },
      );
    }
    case 'CONTAINER_PRIVILEGED': {
      const title = e.detector?.rule ?? 'Privileged container started';
      const out = base(e, OCSF_CLASSES.detectionFinding, 1, 'Create', `Privileged container ${containerLabel(e.container, e)}`);
      return withUnmapped(
        {
          ...out,
          is_alert: true,
          finding_info: {
            uid: e.event_id,
            // Shown to a person, like message; analytic.name keeps the rule's name as it is.
            title: escapeFormatChars(title),
            types: ['Privileged Container'],
            analytic: e.detector?.rule ? { name: e.detector.rule, type_id: 1, type: 'Rule' } : undefined,
            // MITRE ATT&CK T1610 Deploy Container (Falco tags the rule with it).
            attacks: [{ technique: { uid: 'T1610', name: 'Deploy Container' }, tactic: { uid: 'TA0002', name: 'Execution' } }],
          },
          // objects/evidences.json: who (actor), from where (src_endpoint, http_request), on what
          // (device, container). Its at_least_one counts neither container nor http_request, and
          // actor only with a user: device, always there, keeps an alert of docker-events (no
          // user, process or client) valid (found by a probe).
          evidences: [
            {
              device: device(e),
              container: container(e.container, e),
              process: e.process ? ocsfProcess(e.process, e) : undefined,
              actor: { user: user(e) },
              src_endpoint: srcEndpoint(e),
              http_request: { user_agent: e.user_agent },
            },
          ],
          device: device(e),
        },
        {
          ...containerLeftovers(e.container),
          container: unplacedContainer(e.container, e),
          ...processLeftovers(e.process),
          detector: e.detector,
          peer_ip: unplacedPeer(e),
        },
      );
    }
    case 'AUDIT_CHAIN_OPEN':
    case 'AUDIT_CHECKPOINT':
    case 'AUDIT_CHAIN_CLOSE': {
      const [id, name] =
        e.event_type === 'AUDIT_CHAIN_OPEN' ? [6, 'Start'] : e.event_type === 'AUDIT_CHAIN_CLOSE' ? [7, 'Stop'] : [99, 'Checkpoint'];
      const out = base(e, OCSF_CLASSES.eventLogActivity, id, name, `Signed audit chain ${e.integrity.chain_id}: ${name.toLowerCase()}`);
      // event_log_activity.json has actor and src_endpoint, but no http_request.
      return withUnmapped(
        {
          ...out,
          log_name: LOG_TYPE,
          log_provider: 'audit-trail',
          actor: { user: user(e), app_name: e.producer.service },
          src_endpoint: srcEndpoint(e),
          device: device(e),
        },
        { chain: e.chain, peer_ip: unplacedPeer(e), user_agent: e.user_agent },
      );
    }
    case 'AUDIT_SCHEMA_VIOLATION': {
      const msg = `Event failed schema validation: ${e.violation.issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`;
      const out = base(e, OCSF_CLASSES.applicationError, 1, 'General Error', msg);
      return withUnmapped(
        { ...out, raw_data: e.violation.original },
        // application_error.json has no src_endpoint or http_request.
        { attempted_event_type: e.violation.attempted_event_type, issues: e.violation.issues, user_id: e.user_id, ...clientLeftovers(e) },
      );
    }
  }
}

/**
 * Maps an audit event to an OCSF 1.8 event (Authentication 3002 for WebAuthn
 * sign-in, Account Change 3001 / MFA Factor Enable for registration, Process
 * Activity 1007 / Launch for exec, Application Lifecycle 6002 for container
 * start/stop, Detection Finding 2004 for counter regressions and privileged
 * containers, Event Log Activity 1008 for chain records, Application Error
 * 6008 for schema violations). Fields without an OCSF home go to `unmapped`.
 * Pure: no clock, no I/O; the same event always gives the same record.
 */
export function toOcsf(event: AuditEvent): OcsfEvent {
  return prune(mapEvent(event));
}
