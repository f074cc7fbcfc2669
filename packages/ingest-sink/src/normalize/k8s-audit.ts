import { completeEvent, parseAuditEvent, parseRfc3339, type AuditEventDraft, type AuditEventInput } from '@audit-trail/schema';
import { deterministicEventId } from './deterministic-id.js';
import { optionalObject, optionalText, requiredText } from './json-fields.js';
import { ephemeralExecOf, type EphemeralExec } from './k8s-ephemeral-containers.js';
import { requestOutcomeOf } from './k8s-response-status.js';
import { commandLine, kubeletStreamOf, streamRequestOf, type KubeletStream } from './k8s-stream-request.js';

// Field names and their meaning: kubernetes/kubernetes
// staging/src/k8s.io/apiserver/pkg/apis/audit/v1/types.go (`Event`,
// `ObjectReference`, `Stage`); stages also in the Kubernetes "Auditing" page
// (https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/).

/** The producer service of events mapped from the API server's audit log (classify-line.ts keeps the collector's node off them). */
export const K8S_AUDIT_PRODUCER = 'kube-apiserver';

/** The `authentication/v1.UserInfo` of an audit event (only what is mapped). */
interface UserInfo {
  username?: unknown;
}

/** An `audit.k8s.io/v1` Event, as the API server's log backend writes it (one JSON object a line). */
interface K8sAuditEvent {
  kind?: unknown;
  apiVersion?: unknown;
  auditID?: unknown;
  stage?: unknown;
  requestURI?: unknown;
  verb?: unknown;
  user?: unknown;
  impersonatedUser?: unknown;
  sourceIPs?: unknown;
  userAgent?: unknown;
  objectRef?: unknown;
  requestObject?: unknown;
  responseStatus?: unknown;
  requestReceivedTimestamp?: unknown;
}

/** True when a parsed JSON object has the shape of a Kubernetes API server audit event (`audit.k8s.io/v1`, or v1beta1). */
export function isK8sAuditEvent(o: Record<string, unknown>): boolean {
  // v1beta1 (--audit-log-version before Kubernetes 1.24) has every field read here, under the same names.
  return o.kind === 'Event' && (o.apiVersion === 'audit.k8s.io/v1' || o.apiVersion === 'audit.k8s.io/v1beta1');
}

/**
 * Stages that are mapped. One request is logged once per stage, all with the
 * same `auditID`, and the event id is derived from fields every stage shares,
 * so its stages are one event: the first stored wins, the others (and any
 * resend) are duplicates. RequestReceived is skipped: it is written before
 * the request is authorised ("before it is delegated down the handler
 * chain") and has no `responseStatus`, so it cannot tell a refused exec from
 * one that ran, and stored first it would hide the outcome the later stages
 * carry. ResponseStarted ("only generated for long-running requests", which
 * exec and attach are: it is written when the stream opens, 101) comes
 * first for a session that ran, ResponseComplete for one refused (403) or
 * ended, Panic (500) for one the server failed; all carry the status. A
 * policy with `omitStages` must keep ResponseStarted or ResponseComplete.
 */
const MAPPED_STAGES = new Set(['ResponseStarted', 'ResponseComplete', 'Panic']);
const STAGES = new Set(['RequestReceived', ...MAPPED_STAGES]);

/** Subresources of pods that open a stream into a container (exec runs a command, attach joins the main process). */
const STREAM_SUBRESOURCES = new Set(['exec', 'attach']);

/**
 * Verbs that write pods/ephemeralcontainers: `patch` (kubectl debug since
 * 1.22) and `update` (PUT). `get` reads them and is not mapped.
 */
const EPHEMERAL_WRITES = new Set(['patch', 'update']);

/** OCSF severity High: what CONTAINER_PRIVILEGED has by default (schema draft.ts, DEFAULT_SEVERITY). */
const SEVERITY_PRIVILEGED = 4;

/** A request id worth keeping in `correlation.request_id` (the schema's identifier(128)). */
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/** Longest `user_agent` the schema keeps; longer is cut and flagged. */
const USER_AGENT_MAX = 1024;

/**
 * Unix ms of `requestReceivedTimestamp`, which every stage of a request
 * shares: `metav1.MicroTime` as JSON, RFC 3339 in UTC with microseconds
 * (`2024-10-29T12:21:44.189258Z`). Read field by field (parseRfc3339):
 * Date.parse would also take "2024" or "Tue, 29 Oct 2024", roll 2024-02-30
 * over to March 1st and `24:00:00` to the next day, where Go's time.Parse
 * refuses them.
 */
function receivedMillis(value: unknown): number {
  const t = typeof value === 'string' ? parseRfc3339(value) : undefined;
  if (t) return t.getTime();
  throw new RangeError(`requestReceivedTimestamp ${String(JSON.stringify(value)).slice(0, 64)} is not an RFC 3339 time`);
}

/**
 * The client address: the LAST of `sourceIPs`. types.go: the list is the
 * X-Forwarded-For addresses, then X-Real-Ip, then the connection's remote
 * address, and "All but the last IP can be arbitrarily set by the client".
 * The last is the API server's TCP peer (the client, or a load balancer in
 * front of the API server), so it is `client_ip` with source `socket`; the
 * others are claims anyone can make and are not kept.
 */
function clientIpOf(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new TypeError('sourceIPs is not an array');
  if (value.length === 0) return undefined;
  return requiredText(value[value.length - 1], 'the last of sourceIPs');
}

/** Where a mapped request reached, and what it ran there: the CONTAINER_EXEC fields that depend on the request. */
interface ExecTarget extends EphemeralExec {
  namespace: string;
  pod: string;
  node?: string;
  /** `detector.rule`: the subresource, or the kubelet route. */
  rule: string;
}

/** The target of a stream into a container: pods/exec or pods/attach (read from `requestURI`), or the kubelet's route through nodes/proxy. */
function streamTarget(ref: Record<string, unknown>, requestURI: string, kubelet: KubeletStream | undefined): ExecTarget {
  const stream = kubelet
    ? { ...kubelet, node: requiredText(ref.name, 'objectRef.name'), rule: `nodes/proxy ${kubelet.action}`, attach: kubelet.action === 'attach' }
    : {
        ...streamRequestOf(requestURI),
        namespace: requiredText(ref.namespace, 'objectRef.namespace'),
        pod: requiredText(ref.name, 'objectRef.name'),
        node: undefined,
        rule: `pods/${String(ref.subresource)}`,
        attach: ref.subresource === 'attach',
      };
  const command = stream.attach ? '(attach)' : stream.command.length > 0 ? commandLine(stream.command) : '(unknown)';
  return {
    namespace: stream.namespace,
    pod: stream.pod,
    ...(stream.node ? { node: stream.node } : {}),
    ...(stream.container ? { container: stream.container } : {}),
    // The API server knows the pod and the container's name, not the runtime's id.
    detail: stream.container ? { name: stream.container } : {},
    process: { command_line: command, tty: stream.tty, interactive: stream.stdin },
    rule: stream.rule,
  };
}

/**
 * The target of `kubectl debug`: the pod an ephemeral container was added
 * to, and what the container runs, from the request body
 * ({@link ephemeralExecOf}; without one, at level Metadata or when the
 * request was refused before its body was read, the pod only).
 */
function ephemeralTarget(ref: Record<string, unknown>, requestObject: unknown): ExecTarget {
  return {
    namespace: requiredText(ref.namespace, 'objectRef.namespace'),
    pod: requiredText(ref.name, 'objectRef.name'),
    ...ephemeralExecOf(requestObject),
    rule: 'pods/ephemeralcontainers',
  };
}

/**
 * Maps a Kubernetes audit event for `pods/exec` or `pods/attach` to a
 * CONTAINER_EXEC event: who (`user_id` = `user.username`, the authenticated
 * identity; `impersonated_user_id` = `impersonatedUser.username`, whose
 * permissions it used with `kubectl --as`), from where (`client_ip`,
 * `user_agent`), into which pod and container (`runtime.k8s_namespace`,
 * `k8s_pod`, `k8s_container`, `container.name`: the API server knows no
 * container id), what (`process.command_line`: the `command` parameters
 * joined with spaces, as Falco's `proc.cmdline` and Docker's `exec_start`
 * show a command; attach runs none: "(attach)"), whether a terminal and
 * input were attached (`tty`, `interactive`), and the outcome (101/2xx
 * success; 4xx/5xx failure with the server's code and message: a refused
 * exec is kept too). `detector` names the audit log and the subresource
 * (`pods/exec`, `pods/attach`); `event_time` is when the request arrived.
 *
 * An `update` or `patch` of `pods/ephemeralcontainers` (`kubectl debug POD
 * --image=...`: a new container in the running pod, in its namespaces and,
 * with `--target`, in the target container's process namespace) is a
 * CONTAINER_EXEC too, rule `pods/ephemeralcontainers`: a person had a
 * command of their choice run inside the pod, which is what CONTAINER_EXEC
 * records, with the same who, from where and outcome; only it has
 * `impersonated_user_id`, and the shell reports read it. Its `container`
 * detail holds the image, `privileged` and the capabilities added, and the
 * severity is High when privileged, as a CONTAINER_PRIVILEGED's. Not
 * CONTAINER_START: the API server records the request, not the kubelet
 * starting the container (the image may never be pulled), and a start has
 * no command nor an impersonated user. Not CONTAINER_PRIVILEGED: it would
 * drop `impersonated_user_id` and the event from the shell reports, and one
 * line makes one event (Falco's "Launch Privileged Container" reports the
 * start itself). What it runs comes from the request body (`requestObject`,
 * level Request or above; {@link ephemeralExecOf}); at level Metadata the
 * event names the user and the pod, command "(unknown)".
 *
 * The verb of a stream is not checked: exec and attach are `create` over
 * SPDY (POST) and `get` over WebSocket (GET), which kubectl uses by default
 * since Kubernetes 1.31 (KEP-4006; kubernetes/kubectl#1761). Returns
 * undefined (non-audit) for every other request and for the
 * RequestReceived stage. Throws when a field the mapping needs is missing
 * or of the wrong type, or a value breaks the schema (a user name with a
 * control character, a pod name over 253 characters): classifyObject keeps
 * the line as a reject. `raw` is not used: the stages of one request are
 * different lines, and their event must have one id.
 */
export function k8sAuditToAudit(e: K8sAuditEvent, raw: string): AuditEventInput | undefined {
  void raw;
  const ref = optionalObject<Record<string, unknown>>(e.objectRef, 'objectRef');
  // Pods and nodes are in the core group: objectRef.apiGroup is "" (omitted).
  if (!ref || (ref.apiGroup !== undefined && ref.apiGroup !== '')) return undefined;
  const viaPod = ref.resource === 'pods' && typeof ref.subresource === 'string' && STREAM_SUBRESOURCES.has(ref.subresource);
  const viaNode = ref.resource === 'nodes' && ref.subresource === 'proxy';
  const debug = ref.resource === 'pods' && ref.subresource === 'ephemeralcontainers' && typeof e.verb === 'string' && EPHEMERAL_WRITES.has(e.verb);
  if (!viaPod && !viaNode && !debug) return undefined;
  // Through the node proxy only the kubelet's exec, attach and run routes open a stream (not metrics or logs).
  const kubelet = viaNode && typeof e.requestURI === 'string' ? kubeletStreamOf(e.requestURI) : undefined;
  if (viaNode && !kubelet) return undefined;
  const stage = requiredText(e.stage, 'stage');
  if (!STAGES.has(stage)) throw new RangeError(`stage ${JSON.stringify(stage.slice(0, 32))} is not an audit stage`);
  if (!MAPPED_STAGES.has(stage)) return undefined;

  const auditId = requiredText(e.auditID, 'auditID');
  const received = requiredText(e.requestReceivedTimestamp, 'requestReceivedTimestamp');
  const ms = receivedMillis(received);
  const requestURI = requiredText(e.requestURI, 'requestURI');
  const target = debug ? ephemeralTarget(ref, e.requestObject) : streamTarget(ref, requestURI, kubelet);
  const user = optionalObject<UserInfo>(e.user, 'user');
  // No user name: a request that failed authentication (401) is audited
  // without one (apiserver filters/authn_audit.go); it is still evidence.
  const userId = optionalText(user?.username, 'user.username');
  const asUser = optionalText(optionalObject<UserInfo>(e.impersonatedUser, 'impersonatedUser')?.username, 'impersonatedUser.username');
  const clientIp = clientIpOf(e.sourceIPs);
  const userAgent = optionalText(e.userAgent, 'userAgent');
  const { outcome, error } = requestOutcomeOf(e.responseStatus);

  const draft = {
    event_type: 'CONTAINER_EXEC',
    outcome,
    ...(target.detail.privileged ? { severity: SEVERITY_PRIVILEGED } : {}),
    ...(error ? { error } : {}),
    ...(userId ? { user_id: userId } : {}),
    ...(asUser ? { impersonated_user_id: asUser } : {}),
    ...(clientIp ? { client_ip: clientIp, client_ip_source: 'socket' } : {}),
    ...(userAgent ? { user_agent: userAgent, ...(userAgent.length > USER_AGENT_MAX ? { user_agent_truncated: true } : {}) } : {}),
    // auditID comes from the client's Audit-ID header when it sends one
    // (apiserver audit/request.go: "prefer the id from the headers"): kept
    // to find the source lines, only when it is a plain printable token.
    ...(REQUEST_ID.test(auditId) ? { correlation: { request_id: auditId } } : {}),
    runtime: {
      k8s_namespace: target.namespace,
      k8s_pod: target.pod,
      ...(target.container ? { k8s_container: target.container } : {}),
      ...(target.node ? { k8s_node: target.node } : {}),
    },
    container: target.detail,
    process: target.process,
    detector: { name: 'kubernetes-audit', rule: target.rule },
    // Every stage of a request shares these fields; the client can choose
    // its auditID, but not the time the server received the request.
    event_id: deterministicEventId(ms, JSON.stringify(['k8s-audit', auditId, received, requestURI, userId ?? null])),
  } as AuditEventDraft;
  const event = completeEvent(draft, { producer: { service: K8S_AUDIT_PRODUCER }, now: () => new Date(ms) });
  const checked = parseAuditEvent(event);
  if (!checked.ok) throw new TypeError(checked.issues.slice(0, 3).map((i) => `${i.path || '(root)'}: ${i.message}`).join('; '));
  return event;
}
