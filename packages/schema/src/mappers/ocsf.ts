import type { AuditEvent, EventOf } from '../audit-event.js';
import { LOG_TYPE } from '../constants.js';
import { parseImage, prune, type JsonObject } from './common.js';
import {
  OCSF_AUTH_PROTOCOL_OTHER,
  OCSF_CLASSES,
  OCSF_DEVICE_SERVER,
  OCSF_FACTOR_WEBAUTHN,
  OCSF_FINDING_NEW,
  OCSF_SEVERITY,
  OCSF_STATUS,
  OCSF_USER,
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
  metadata: JsonObject & { version: string; product: JsonObject; uid: string };
}

type Container = EventOf<'CONTAINER_EXEC'>['container'];
type WebauthnEvent = EventOf<'WEBAUTHN_AUTH_FAILURE' | 'WEBAUTHN_AUTH_SUCCESS' | 'WEBAUTHN_REG_SUCCESS' | 'WEBAUTHN_REG_FAILURE'>;

function base(e: AuditEvent, cls: OcsfClass, activityId: number, activityName: string, message: string): OcsfEvent {
  const finding = cls.category_uid === 2;
  return {
    ...cls,
    activity_id: activityId,
    activity_name: activityName,
    // dictionary.json `type_uid`: class_uid * 100 + activity_id.
    type_uid: cls.class_uid * 100 + activityId,
    type_name: `${cls.class_name}: ${activityName}`,
    time: Date.parse(e.event_time),
    severity_id: e.severity,
    severity: OCSF_SEVERITY[e.severity] ?? 'Other',
    ...(finding ? OCSF_FINDING_NEW : OCSF_STATUS[e.outcome]),
    status_code: e.error?.code,
    status_detail: e.error?.message,
    message,
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

function device(e: AuditEvent): JsonObject {
  const r = e.runtime;
  return { ...OCSF_DEVICE_SERVER, hostname: r?.host ?? r?.k8s_node ?? r?.swarm_node };
}

function container(c: Container, e: AuditEvent): JsonObject {
  const ref = c.image ? parseImage(c.image) : undefined;
  const r = e.runtime;
  return {
    uid: c.id,
    name: c.name,
    // objects/image.json requires `uid`: the digest when known, else the reference.
    image: c.image ? { uid: c.image_digest ?? ref?.digest ?? c.image, name: ref?.name, tag: ref?.tag } : undefined,
    runtime: c.runtime,
    orchestrator: r?.k8s_namespace || r?.k8s_pod ? 'kubernetes' : r?.swarm_service ? 'docker-swarm' : undefined,
  };
}

function webauthnCommon(e: WebauthnEvent): JsonObject {
  return {
    user: { ...OCSF_USER, uid: e.user_id, credential_uid: e.webauthn.credential_id },
    auth_factors: [OCSF_FACTOR_WEBAUTHN],
    src_endpoint: { ip: e.client_ip },
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
        { webauthn: e.webauthn },
      );
    }
    case 'WEBAUTHN_REG_SUCCESS':
    case 'WEBAUTHN_REG_FAILURE': {
      const ok = e.event_type === 'WEBAUTHN_REG_SUCCESS';
      const out = base(e, OCSF_CLASSES.accountChange, 10, 'MFA Factor Enable', `WebAuthn registration ${ok ? 'succeeded' : 'failed'}`);
      return withUnmapped({ ...out, ...webauthnCommon(e) }, { webauthn: e.webauthn });
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
            { user: { ...OCSF_USER, uid: e.user_id, credential_uid: e.webauthn.credential_id }, src_endpoint: { ip: e.client_ip } },
          ],
        },
        { webauthn: e.webauthn },
      );
    }
    case 'CONTAINER_EXEC': {
      const out = base(e, OCSF_CLASSES.processActivity, 1, 'Launch', `Process launched in container ${e.container.name ?? e.container.id}`);
      return withUnmapped(
        {
          ...out,
          actor: { user: e.user_id ? { ...OCSF_USER, uid: e.user_id } : undefined, app_name: e.detector?.name },
          device: device(e),
          process: {
            cmd_line: e.process.command_line,
            pid: e.process.pid,
            user: e.process.exec_user ? { name: e.process.exec_user } : undefined,
            container: container(e.container, e),
          },
        },
        { tty: e.process.tty, interactive: e.process.interactive, detector: e.detector },
      );
    }
    case 'CONTAINER_START':
    case 'CONTAINER_STOP': {
      const start = e.event_type === 'CONTAINER_START';
      const [id, name] = start ? (e.lifecycle?.action === 'restart' ? [5, 'Restart'] : [3, 'Start']) : [4, 'Stop'];
      const out = base(e, OCSF_CLASSES.applicationLifecycle, id, name, `Container ${e.container.name ?? e.container.id} ${start ? 'started' : 'stopped'}`);
      const ref = e.container.image ? parseImage(e.container.image) : undefined;
      // No container lifecycle class exists in OCSF 1.8: the container is the app.
      return withUnmapped(
        { ...out, app: { name: e.container.name ?? ref?.name ?? e.container.id, uid: e.container.id, version: ref?.tag }, device: device(e) },
        { container: container(e.container, e), lifecycle: e.lifecycle, detector: e.detector },
      );
    }
    case 'CONTAINER_PRIVILEGED': {
      const title = e.detector?.rule ?? 'Privileged container started';
      const out = base(e, OCSF_CLASSES.detectionFinding, 1, 'Create', `Privileged container ${e.container.name ?? e.container.id}`);
      return withUnmapped(
        {
          ...out,
          is_alert: true,
          finding_info: {
            uid: e.event_id,
            title,
            types: ['Privileged Container'],
            analytic: e.detector?.rule ? { name: e.detector.rule, type_id: 1, type: 'Rule' } : undefined,
            // MITRE ATT&CK T1610 Deploy Container (Falco tags the rule with it).
            attacks: [{ technique: { uid: 'T1610', name: 'Deploy Container' }, tactic: { uid: 'TA0002', name: 'Execution' } }],
          },
          evidences: [{ container: container(e.container, e), process: e.process ? { cmd_line: e.process.command_line } : undefined }],
          device: device(e),
        },
        // OCSF's container object has no privileged attribute.
        { container_privileged: true, capabilities: e.container.capabilities, detector: e.detector },
      );
    }
    case 'AUDIT_CHAIN_OPEN':
    case 'AUDIT_CHECKPOINT':
    case 'AUDIT_CHAIN_CLOSE': {
      const [id, name] =
        e.event_type === 'AUDIT_CHAIN_OPEN' ? [6, 'Start'] : e.event_type === 'AUDIT_CHAIN_CLOSE' ? [7, 'Stop'] : [99, 'Checkpoint'];
      const out = base(e, OCSF_CLASSES.eventLogActivity, id, name, `Signed audit chain ${e.integrity.chain_id}: ${name.toLowerCase()}`);
      return withUnmapped(
        { ...out, log_name: LOG_TYPE, log_provider: 'audit-trail', actor: { app_name: e.producer.service }, device: device(e) },
        { chain: e.chain },
      );
    }
    case 'AUDIT_SCHEMA_VIOLATION': {
      const msg = `Event failed schema validation: ${e.violation.issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`;
      const out = base(e, OCSF_CLASSES.applicationError, 1, 'General Error', msg);
      return withUnmapped(
        { ...out, raw_data: e.violation.original },
        { attempted_event_type: e.violation.attempted_event_type, issues: e.violation.issues, user_id: e.user_id, client_ip: e.client_ip },
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
