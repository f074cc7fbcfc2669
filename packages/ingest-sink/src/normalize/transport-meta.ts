import { sanitizeText, type TransportMeta } from '@audit-trail/schema';
import type { TagParser } from './tag-template.js';

/** Transport fields of one record (everything but `raw`). */
export type RecordMeta = Omit<TransportMeta, 'raw'>;

const HEX_ID = /^[0-9a-f]{12,64}$/;

/** The last tag parsed, by which parser, and what it gave (every record of a request has the same tag). */
let lastTag: { tag: string; parse: TagParser; fields: ReturnType<TagParser> } | undefined;
/** The previous record's meta and the fields it came from (see recordMeta). */
let last: { tag: string; parse: TagParser; id: unknown; name: unknown; meta: RecordMeta } | undefined;
/**
 * A transport value for its column (a tag, a syslog APP-NAME, a name): control characters removed (the client
 * chooses tags and names, and an ESC or CR/LF there reached the table raw,
 * where event fields are refused; found by a probe), cut to `max`.
 */
export const transportText = (v: unknown, max: number): string | undefined =>
  typeof v === 'string' && v.length > 0 ? sanitizeText(v, max) || undefined : undefined;

/**
 * Collects what the transport says about a record: the tag (and Swarm
 * placement parsed from it by the configured template), the Docker driver's
 * `container_id`/`container_name` (leading "/" removed, as Docker adds it),
 * and Fluent Bit's kubernetes filter metadata (`kubernetes.namespace_name`,
 * `pod_name`, `container_name`, `docker_id`, and `host`: the node, which a
 * pod's own host name, the pod name, is not). Values are cut to their
 * column widths.
 */
export function recordMeta(tag: string, record: Record<string, unknown>, parseTag: TagParser): RecordMeta {
  // The records of a request nearly always come from one container: when
  // tag, container id and name repeat (and there is no kubernetes object),
  // the previous record's meta is returned as it is. Nothing downstream
  // mutates a meta (the sink copies it before adding `raw`), and sharing it
  // lets the spool framing reuse its JSON by identity (spool/record.ts).
  const id = record.container_id;
  const name = record.container_name;
  if (last && record.kubernetes === undefined && tag === last.tag && parseTag === last.parse && id === last.id && name === last.name) {
    return last.meta;
  }
  const meta: RecordMeta = { source_tag: transportText(tag, 256) ?? '' };
  if (lastTag?.tag !== tag || lastTag.parse !== parseTag) lastTag = { tag, parse: parseTag, fields: cleanFields(parseTag(tag)) };
  if (lastTag.fields) Object.assign(meta, lastTag.fields);
  if (typeof id === 'string' && HEX_ID.test(id)) meta.container_id = id;
  const shownName = transportText(name, 257);
  if (shownName) meta.container_name = (shownName.startsWith('/') ? shownName.slice(1) : shownName).slice(0, 256);
  const k8s = record.kubernetes;
  if (typeof k8s === 'object' && k8s !== null) {
    const k = k8s as Record<string, unknown>;
    const ns = transportText(k.namespace_name, 253);
    const pod = transportText(k.pod_name, 253);
    if (ns) meta.k8s_namespace = ns;
    if (pod) meta.k8s_pod = pod;
    const node = transportText(k.host, 253);
    if (node) meta.k8s_node = node;
    const cname = transportText(k.container_name, 256);
    if (cname && !meta.container_name) meta.container_name = cname;
    const cid = typeof k.docker_id === 'string' ? k.docker_id : undefined;
    if (cid && HEX_ID.test(cid) && !meta.container_id) meta.container_id = cid;
  }
  last = k8s === undefined ? { tag, parse: parseTag, id, name, meta } : undefined;
  return meta;
}

/**
 * What a syslog header says about its message (RFC 5424 §6.2, RFC 3164
 * §4.1.2), each value cleaned as {@link transportText} does: its APP-NAME
 * (TAG) as `source_tag` ("syslog" when it has none), and its HOSTNAME, the
 * sending node, as `syslog_host`, the reports' node when the event names
 * none of its own (schema query-sql.ts nodeOf).
 */
export function syslogMeta(appName: string | undefined, hostname: string | undefined): RecordMeta {
  const meta: RecordMeta = { source_tag: transportText(appName, 256) ?? 'syslog' };
  const host = transportText(hostname, 255);
  if (host) meta.syslog_host = host;
  return meta;
}

/** Fields parsed from a tag, each cleaned as {@link transportText} does (at its current length). */
function cleanFields(fields: ReturnType<TagParser>): ReturnType<TagParser> {
  if (!fields) return fields;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) {
    const clean = typeof v === 'string' ? transportText(v, v.length) : undefined;
    if (clean) out[k] = clean;
  }
  return out as ReturnType<TagParser>;
}
