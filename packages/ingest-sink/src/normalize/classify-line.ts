import { LOG_TYPE } from '@audit-trail/schema';
import type { SinkItem } from '../receivers/types.js';
import type { PartialPiece } from './partial-journal.js';
import type { StoredLine } from './partials.js';
import { dockerEventToAudit, isDockerEvent } from './docker-events.js';
import { falcoAlertToAudit, isFalcoAlert } from './falco.js';
import { isK8sAuditEvent, K8S_AUDIT_PRODUCER, k8sAuditToAudit } from './k8s-audit.js';
import type { TagFilter } from './tag-patterns.js';
import type { RecordMeta } from './transport-meta.js';

/** What became of one record or line. */
export type Normalized =
  | { kind: 'sink'; item: SinkItem; container?: boolean }
  | { kind: 'non_audit' }
  | { kind: 'not_logs' }
  /**
   * A piece of a split line, buffered: `piece` to journal (absent when it
   * was not kept), `settles` the keys of lines it closed, whose pieces are
   * no longer needed once those lines are stored, and `completed` when it
   * completed its line: tell it how storing the line went.
   */
  | { kind: 'partial'; piece?: PartialPiece; settles: string[]; completed?: LineOutcome };

/** Told how storing a line a piece completed went (see PartialAssembler.stored and reopen). */
export interface LineOutcome {
  /**
   * Stored (or not an audit line, so nothing to store): pieces of it sent
   * again are recognised as resends. Returns what the journal keeps of the
   * line for that (PartialDurability.settle).
   */
  stored(): StoredLine | undefined;
  /** Storing failed: the line is open again without this piece, which its sender, unacked, sends again. */
  failed(): void;
}

// An audit line names its log_type (schema LOG_TYPE). A regex instead of a
// parse keeps the hot path to one JSON.parse (in the sink); a line that only
// looks like audit and is not valid reaches the sink and becomes a reject.
const AUDIT_LINE = /"log_type"\s*:\s*"security_audit"/;
// Lines worth a JSON.parse: a Docker event ("Actor"), a Falco alert
// ("output_fields"), or a Kubernetes audit event for pods/exec, pods/attach,
// pods/ephemeralcontainers (kubectl debug) or nodes/proxy (the kubelet's exec,
// attach and run). The API server writes every request to its audit log, so
// the hint names the subresource: the other requests are skipped without
// being parsed. Go's encoding/json writes these names as they are (no \u
// escapes of letters). Not the path of a nodes/proxy request: the requestURI
// is the path as sent, `/proxy/%65xec/...` or `/proxy/./exec/...`, which the
// API server decodes and cleans before the kubelet runs it
// (k8s-stream-request.ts kubeletPathOf; found by a probe).
const RUNTIME_HINT = /"Actor"|"output_fields"|"subresource"\s*:\s*"(?:exec|attach|ephemeralcontainers|proxy)"/;
// A Kubernetes audit event logs request bodies as JSON: a ConfigMap holding
// "log_type":"security_audit" must not make the API server's line an
// audit-trail line (a reject carrying the whole request). An audit-trail
// line never has this member unescaped (its fields are fixed by the schema).
const K8S_AUDIT_EVENT = /"apiVersion"\s*:\s*"audit\.k8s\.io\//;

/**
 * The `event_type` of an audit line, read only when it may be a container
 * event: the line names CONTAINER_ or holds a `\u` escape (which could spell
 * it). Other lines, every WebAuthn event among them, are not parsed here.
 */
function auditLineType(line: string): unknown {
  if (!line.includes('CONTAINER_') && !line.includes('\\u')) return undefined;
  // Not a JSON object: the sink rejects it as such.
  return parseObject(line)?.event_type;
}

/**
 * With `containerEventTags`, a CONTAINER_* audit event is trusted only from a
 * listed tag, whatever its shape: any container can print a ready-made
 * audit line naming a person, a pod and `detector: kubernetes-audit`, and
 * the shell reports would list it. Returns the reject reason, or undefined.
 */
export function untrustedContainerClaim(eventType: unknown, meta: RecordMeta, containerEventTags: TagFilter): string | undefined {
  if (typeof eventType !== 'string' || !eventType.startsWith('CONTAINER_')) return undefined;
  const tag = meta.source_tag ?? '';
  if (containerEventTags(tag)) return undefined;
  return `CONTAINER_EVENT_UNTRUSTED_TAG: a ${eventType.slice(0, 64)} audit line arrived with tag ${JSON.stringify(tag)}, which containerEventTags does not list`;
}

/**
 * Classifies one text line (Docker `log`, Fluent Bit `log`/`message`, syslog
 * MSG): an audit line goes to the sink exactly as received (a CONTAINER_*
 * one from a tag `containerEventTags` does not list, as a reject); a Docker event,
 * Falco alert or Kubernetes audit event of a pods/exec, pods/attach or
 * pods/ephemeralcontainers request becomes a CONTAINER_* event; anything
 * else is non-audit and is counted and skipped.
 */
export function classifyLine(text: string, meta: RecordMeta, source: string, containerEventTags?: TagFilter): Normalized {
  let line = text;
  while (line.endsWith('\n') || line.endsWith('\r')) line = line.slice(0, -1);
  const runtime = line.startsWith('{') && RUNTIME_HINT.test(line);
  if (AUDIT_LINE.test(line) && !K8S_AUDIT_EVENT.test(line)) {
    // A runtime record can hold the text too: Docker copies a container's
    // labels unescaped into Actor.Attributes, so `--label
    // log_type=security_audit` made that container's start, exec and stop
    // records rejects (found by a review). Such a line is an audit line only
    // if its own top-level log_type says so.
    const parsed = runtime ? parseObject(line) : undefined;
    if (parsed === undefined || parsed.log_type === LOG_TYPE) {
      const reject = containerEventTags && untrustedContainerClaim(parsed ? parsed.event_type : auditLineType(line), meta, containerEventTags);
      return { kind: 'sink', item: { line, meta, source, ...(reject ? { reject } : {}) } };
    }
    return classifyObject(parsed, line, meta, source, containerEventTags);
  }
  if (runtime) {
    const parsed = parseObject(line);
    return parsed === undefined ? { kind: 'non_audit' } : classifyObject(parsed, line, meta, source, containerEventTags);
  }
  return { kind: 'non_audit' };
}

/** The JSON object a line holds, or undefined (not JSON, or not an object). */
function parseObject(line: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Maps a parsed Docker event, Falco alert or Kubernetes audit event
 * (pods/exec, pods/attach, pods/ephemeralcontainers) to a container event; anything else is
 * non-audit. Any container's output can hold a line of that shape, so with
 * `containerEventTags` one that arrived under another tag is stored as a
 * reject (`CONTAINER_EVENT_UNTRUSTED_TAG`), as evidence, not as an event.
 */
export function classifyObject(o: Record<string, unknown>, raw: string, meta: RecordMeta, source: string, containerEventTags?: TagFilter): Normalized {
  if (typeof o !== 'object' || o === null) return { kind: 'non_audit' };
  let event;
  try {
    event = isDockerEvent(o)
      ? dockerEventToAudit(o, raw, meta.swarm_node)
      : isFalcoAlert(o)
        ? falcoAlertToAudit(o, raw)
        : isK8sAuditEvent(o)
          ? k8sAuditToAudit(o, raw)
          : undefined;
  } catch (err) {
    // A record these mappers cannot handle (a time no Date holds, a field of
    // the wrong type) is kept as evidence, a reject with the line as it
    // arrived. Thrown on, it would fail the whole request unacked, and the
    // sender would resend it forever.
    return { kind: 'sink', item: { line: raw, meta, source, reject: `CONTAINER_EVENT_INVALID: ${String((err as Error)?.message ?? err).slice(0, 200)}` } };
  }
  if (!event) return { kind: 'non_audit' };
  const tag = meta.source_tag ?? '';
  if (containerEventTags && !containerEventTags(tag)) {
    const reject = `CONTAINER_EVENT_UNTRUSTED_TAG: a ${event.event_type} from ${event.producer.service} arrived with tag ${JSON.stringify(tag)}, which containerEventTags does not list`;
    return { kind: 'sink', item: { line: raw, meta, source, reject } };
  }
  // The record's transport metadata describes the collector (the container running
  // `docker events` or Falco, or Fluent Bit tailing the API server's audit log), not
  // the container the event is about: keep only the tag and the node its tag, or
  // its syslog header, names (a Swarm collector, or a Falco writing to the node's
  // syslog, runs on the node of the containers it reports on). Not for the API
  // server's audit log: it names requests for pods on every node, and the node it
  // was collected on (a control plane's, or `ingest --node`) became the reports'
  // node, even over the one a nodes/proxy request names (found by a probe).
  const own: RecordMeta = meta.source_tag !== undefined ? { source_tag: meta.source_tag } : {};
  if (event.producer.service !== K8S_AUDIT_PRODUCER) {
    if (meta.swarm_node) own.swarm_node = meta.swarm_node;
    if (meta.syslog_host) own.syslog_host = meta.syslog_host;
  }
  return { kind: 'sink', item: { line: JSON.stringify(event), meta: own, source }, container: true };
}
