import type { AuditEvent } from '../audit-event.js';
import { LOG_TYPE, type EventType } from '../constants.js';
import { canonicalIp } from '../fields/ip-text.js';
import { utcMillis } from '../fields/utc-millis.js';
import { kebab, parseImage, prune, uniq, type JsonObject } from './common.js';

/** ECS version the mapper targets (`ecs.version`); fields from elastic/ecs `generated/ecs/ecs_flat.yml`. */
export const ECS_VERSION = '9.4.0';

/** An ECS document: nested objects (`event.*`, `user.*`, ...), `@timestamp` and `ecs.version` always set. */
export interface EcsDocument extends JsonObject {
  '@timestamp': string;
  ecs: { version: string };
  event: JsonObject & { id: string; kind: string; category?: string[]; type?: string[]; action: string; code: string; outcome: string };
}

type Categorisation = { kind: string; category: string[]; type: string[] };

/**
 * ECS categorisation per type, using only the allowed `event.type` values of
 * each `event.category` (authentication: start/end/info; iam: user/change...;
 * process: start/end; intrusion_detection: info). Chain records and schema
 * violations describe the logging pipeline itself. A schema violation has no
 * `event.type`: ECS's `error` type "should not" be used for pipeline errors,
 * which "should use event.kind:pipeline_error" (ecs_flat.yml `event.type`).
 */
const CATEGORISATION: Record<EventType, Categorisation> = {
  WEBAUTHN_REG_SUCCESS: { kind: 'event', category: ['iam'], type: ['user', 'change'] },
  WEBAUTHN_REG_FAILURE: { kind: 'event', category: ['iam'], type: ['user', 'change'] },
  WEBAUTHN_AUTH_SUCCESS: { kind: 'event', category: ['authentication'], type: ['start'] },
  WEBAUTHN_AUTH_FAILURE: { kind: 'event', category: ['authentication'], type: ['start'] },
  WEBAUTHN_COUNTER_REGRESSION: { kind: 'alert', category: ['authentication', 'intrusion_detection'], type: ['info'] },
  CONTAINER_EXEC: { kind: 'event', category: ['process'], type: ['start'] },
  CONTAINER_START: { kind: 'event', category: ['process'], type: ['start'] },
  CONTAINER_STOP: { kind: 'event', category: ['process'], type: ['end'] },
  CONTAINER_PRIVILEGED: { kind: 'alert', category: ['process', 'intrusion_detection'], type: ['start', 'info'] },
  AUDIT_CHAIN_OPEN: { kind: 'event', category: ['configuration'], type: ['creation'] },
  AUDIT_CHECKPOINT: { kind: 'event', category: ['configuration'], type: ['info'] },
  AUDIT_CHAIN_CLOSE: { kind: 'event', category: ['configuration'], type: ['info'] },
  AUDIT_SCHEMA_VIOLATION: { kind: 'pipeline_error', category: [], type: [] },
};

function orchestrator(e: AuditEvent): JsonObject | undefined {
  const r = e.runtime;
  if (r?.k8s_namespace || r?.k8s_pod) {
    return { type: 'kubernetes', namespace: r.k8s_namespace, resource: { type: 'pod', name: r.k8s_pod } };
  }
  if (r?.swarm_service || r?.swarm_task_id) {
    return { type: 'docker-swarm', resource: { type: 'task', id: r.swarm_task_id, parent: { type: 'service' } } };
  }
  return undefined;
}

function container(e: AuditEvent): JsonObject | undefined {
  if ('container' in e) {
    const c = e.container;
    const ref = c.image ? parseImage(c.image) : undefined;
    return {
      // No container.id from a Kubernetes audit event; on a container event
      // runtime.container_id is the same container (envelope.ts).
      id: c.id ?? e.runtime?.container_id,
      name: c.name,
      // Also without a reference: a digest alone still identifies the image (container.image.hash.all).
      image: { name: ref?.name, tag: ref?.tag ? [ref.tag] : undefined, hash: { all: uniq([c.image_digest, ref?.digest]) } },
      runtime: c.runtime,
      security_context: { privileged: c.privileged },
    };
  }
  return e.runtime?.container_id ? { id: e.runtime.container_id } : undefined;
}

/** Fields with no ECS home, under the custom `audit_trail` namespace (ECS custom-field guidance). */
function custom(e: AuditEvent): JsonObject {
  const r = e.runtime;
  return {
    log_type: e.log_type,
    schema_version: e.schema_version,
    event_type: e.event_type,
    // The audit-trail library that wrote the event. Not agent.version: ECS
    // agent.* is a collector or shipper running on the host (ecs_flat.yml
    // agent), which this mapper does not describe.
    sdk_version: e.producer.sdk_version,
    client_ip_source: e.client_ip_source,
    user_agent_truncated: e.user_agent_truncated,
    swarm: { node: r?.swarm_node, service: r?.swarm_service },
    kubernetes: { container: r?.k8s_container, node: r?.k8s_node },
    session_id: e.correlation?.session_id,
    integrity: e.integrity,
    webauthn: 'webauthn' in e ? e.webauthn : undefined,
    detector: 'detector' in e ? e.detector : undefined,
    lifecycle: 'lifecycle' in e ? e.lifecycle : undefined,
    process: 'process' in e && e.process ? { tty: e.process.tty, command_line_truncated: e.process.command_line_truncated } : undefined,
    capabilities: 'container' in e ? e.container.capabilities : undefined,
    target_container: 'container' in e ? e.container.target : undefined,
    chain: 'chain' in e ? e.chain : undefined,
    violation: 'violation' in e ? e.violation : undefined,
  };
}

/**
 * Maps an audit event to an Elastic Common Schema document: `event.*`
 * (categorisation, outcome, severity, sequence), `user.*`, `source.*`,
 * `user_agent.*`, `error.*`, `container.*`, `orchestrator.*`, `process.*`,
 * `service.*`, `host.*`; WebAuthn and integrity fields, which ECS lacks, go
 * to `audit_trail.*`. Pure: the same event always gives the same document.
 */
export function toEcs(e: AuditEvent): EcsDocument {
  const cat = CATEGORISATION[e.event_type];
  const proc = 'process' in e ? e.process : undefined;
  const detector = 'detector' in e ? e.detector : undefined;
  const impersonated = 'impersonated_user_id' in e ? e.impersonated_user_id : undefined;
  const doc = {
    // Milliseconds, the form the table stores: Elasticsearch's default date
    // format refuses more than nine fraction digits (fields/utc-millis.ts).
    '@timestamp': utcMillis(e.event_time),
    ecs: { version: ECS_VERSION },
    event: {
      id: e.event_id,
      kind: cat.kind,
      category: cat.category,
      type: cat.type,
      action: kebab(e.event_type),
      outcome: e.outcome,
      severity: e.severity,
      dataset: `audit_trail.${LOG_TYPE}`,
      provider: e.producer.service,
      // ecs_flat.yml event.code: "Identification code for this event" (the
      // kind of event, like a Windows Event ID; OCSF metadata.event_code).
      // The failure's own code is error.code.
      code: e.event_type,
      reason: e.error?.message,
      sequence: e.integrity?.seq,
    },
    service: { name: e.producer.service, version: e.producer.version, node: { name: e.producer.instance } },
    host: { name: e.runtime?.host ?? e.runtime?.k8s_node ?? e.runtime?.swarm_node },
    // ecs_flat.yml user.effective.*: "User whose privileges were assumed" (a
    // Kubernetes request made with --as); user.id stays the authenticated one.
    user: { id: e.user_id, effective: { id: impersonated } },
    // Addresses as the table's client_ip column holds them (canonicalIp), so one host is one value.
    source: { ip: e.client_ip && canonicalIp(e.client_ip) },
    related: { ip: uniq([e.client_ip, e.peer_ip].map((ip) => ip && canonicalIp(ip))), user: uniq([e.user_id, impersonated]) },
    user_agent: { original: e.user_agent },
    http: { request: { id: e.correlation?.request_id } },
    trace: { id: e.correlation?.trace_id },
    error: e.error ? { code: e.error.code, message: e.error.message, type: e.error.type } : undefined,
    container: container(e),
    orchestrator: orchestrator(e),
    process: proc
      ? { command_line: proc.command_line, pid: proc.pid, interactive: proc.interactive, user: { name: proc.exec_user } }
      : undefined,
    rule: detector?.rule ? { name: detector.rule } : undefined,
    observer: detector ? { product: detector.name, type: 'detector' } : undefined,
    audit_trail: custom(e),
  };
  return prune(doc) as EcsDocument;
}
