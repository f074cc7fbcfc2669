import { isIPv6 } from 'node:net';
import { ReceiverError } from '../errors.js';

/** A parsed syslog message (RFC 5424 §6 or RFC 3164 §4.1). Absent fields ("-" in 5424) are undefined. */
export interface SyslogMessage {
  format: 'rfc5424' | 'rfc3164';
  facility: number;
  severity: number;
  timestamp?: string;
  hostname?: string;
  appName?: string;
  procId?: string;
  msgId?: string;
  /** STRUCTURED-DATA as sent (RFC 5424 §6.3), undefined for "-". */
  structuredData?: string;
  msg: string;
}

const NIL = (s: string | undefined): string | undefined => (s === undefined || s === '-' ? undefined : s);

/**
 * Parses one syslog message. `<PRI>1 ` selects RFC 5424 (HEADER SP
 * STRUCTURED-DATA [SP MSG], MSG with an optional UTF-8 BOM); anything else
 * after `<PRI>` is read as RFC 3164 (`TIMESTAMP HOST TAG[pid]: MSG`),
 * leniently, as rsyslog's pmrfc3164 does: the TIMESTAMP is `Mmm dd hh:mm:ss`
 * or RFC 3339, and the TAG ends at `:` or a space. A missing or out-of-range
 * PRI is an error.
 */
export function parseSyslog(text: string): SyslogMessage {
  const m = /^<(\d{1,3})>/.exec(text);
  if (!m) throw new ReceiverError('SYSLOG_INVALID', 'message does not start with <PRI>');
  const pri = Number(m[1]);
  if (pri > 191) throw new ReceiverError('SYSLOG_INVALID', `PRI ${pri} is out of range (0-191)`);
  const rest = text.slice(m[0].length);
  const base = { facility: pri >> 3, severity: pri & 7 };
  const parsed = rest.startsWith('1 ') ? parse5424(rest.slice(2)) : parse3164(rest);
  return { ...base, ...parsed, msg: withoutBom(parsed.msg) };
}

/**
 * MSG without the BOM that may start it (RFC 5424 §6.4). rsyslog keeps it in
 * `%msg%`, so an RFC 5424 message relayed in its legacy templates
 * (RSYSLOG_TraditionalForwardFormat, omfwd's default, and
 * RSYSLOG_ForwardFormat) arrives as RFC 3164 with the BOM after the TAG:
 * kept, the audit line after it was no JSON and became a reject (found by a probe).
 */
function withoutBom(msg: string): string {
  return msg.startsWith('\ufeff') ? msg.slice(1) : msg;
}

function parse5424(s: string): Omit<SyslogMessage, 'facility' | 'severity'> {
  const fields: string[] = [];
  let pos = 0;
  for (let i = 0; i < 5; i++) {
    const sp = s.indexOf(' ', pos);
    if (sp < 0) throw new ReceiverError('SYSLOG_INVALID', 'RFC 5424 header is incomplete');
    fields.push(s.slice(pos, sp));
    pos = sp + 1;
  }
  let sd: string | undefined;
  if (s[pos] === '-') {
    pos++;
  } else if (s[pos] === '[') {
    const start = pos;
    while (s[pos] === '[') pos = endOfElement(s, pos);
    sd = s.slice(start, pos);
  } else throw new ReceiverError('SYSLOG_INVALID', 'RFC 5424 STRUCTURED-DATA is missing');
  const msg = s[pos] === ' ' ? s.slice(pos + 1) : s.slice(pos);
  const [timestamp, hostname, appName, procId, msgId] = fields;
  return {
    format: 'rfc5424',
    timestamp: NIL(timestamp),
    hostname: NIL(hostname),
    appName: NIL(appName),
    procId: NIL(procId),
    msgId: NIL(msgId),
    structuredData: sd,
    msg,
  };
}

/** End of one SD-ELEMENT starting at `pos` ('['), honouring `\"`, `\\` and `\]` escapes in PARAM-VALUE (§6.3.3). */
function endOfElement(s: string, pos: number): number {
  let inValue = false;
  for (let i = pos + 1; i < s.length; i++) {
    const c = s[i];
    if (inValue) {
      if (c === '\\') i++;
      else if (c === '"') inValue = false;
    } else if (c === '"') inValue = true;
    else if (c === ']') return i + 1;
  }
  throw new ReceiverError('SYSLOG_INVALID', 'RFC 5424 SD-ELEMENT is not terminated');
}

// RFC 3164 §4.1.2 TIMESTAMP, or the RFC 3339 one (RFC 5424 §6.2.3) that
// rsyslog's RSYSLOG_ForwardFormat writes in its place: pmrfc3164 tries
// datetime.c ParseTIMESTAMP3339 first, then ParseTIMESTAMP3164, and wants a
// space after either. Every part has a fixed or bounded length: no backtracking.
const TIMESTAMP = /^([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)) /;

// The TAG as pmrfc3164 reads it: it ends at a colon (part of the TAG) or a
// space (not part of it; omfwd's default template,
// RSYSLOG_TraditionalForwardFormat, writes a TAG that way when the message
// came in as RFC 5424), and the `[pid]` is split off as PROCID. RFC 3164
// §4.1.3 caps the TAG at 32 characters; rsyslog reads up to
// CONF_TAG_MAXSIZE - 2 = 510 (runtime/syslogd-types.h), as sysklogd never
// kept the cap, so a Docker syslog driver's long tag template still names its
// source. A TAG does not start with `{`: that is a JSON MSG without one
// (pmrfc3164 reads a `{` after the PRI as headerless), whose `{"key":` is
// no TAG. The name excludes every character that may follow it, so a failed
// match gives up after at most 510 steps: linear on any input.
const TAG = /^([^\s:[{][^\s:[]{0,509})(?:\[([^\]]{1,32})\])?(?:: ?| )/;

function parse3164(s: string): Omit<SyslogMessage, 'facility' | 'severity'> {
  let rest = s;
  let timestamp: string | undefined;
  let hostname: string | undefined;
  const t = TIMESTAMP.exec(rest);
  if (t) {
    timestamp = t[1];
    rest = rest.slice(t[0].length);
    const sp = rest.indexOf(' ');
    // RFC 3164 §4.1.2: HOSTNAME follows the TIMESTAMP; a "TAG:" there means the host was left out.
    // An IPv6 address is a HOSTNAME despite its colons (rsyslog writes the sender's address where
    // a message had no host name and DNS is off): read as a TAG, it left "db8::1 app: {...}" as
    // MSG, and the audit line became a reject.
    const word = sp > 0 ? rest.slice(0, sp) : '';
    if (sp > 0 && (!/[:[]/.test(word) || (word.length <= 47 && isIPv6(word.replace(/^\[(.*)\]$/, '$1'))))) {
      hostname = rest.slice(0, sp);
      rest = rest.slice(sp + 1);
    }
  }
  let appName: string | undefined;
  let procId: string | undefined;
  const tag = TAG.exec(rest);
  if (tag) {
    appName = tag[1];
    procId = tag[2];
    rest = rest.slice(tag[0].length);
  }
  return { format: 'rfc3164', timestamp, hostname, appName, procId, msg: rest };
}
