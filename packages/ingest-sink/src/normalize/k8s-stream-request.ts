import { posix } from 'node:path';

/**
 * What a pods/exec or pods/attach request asked for, read from the query of
 * its `requestURI` the way the API server reads it into PodExecOptions /
 * PodAttachOptions (k8s.io/api core/v1): `command` repeated once per
 * argument (`?command=sh&command=-c&command=id`), `container`, `stdin`,
 * `tty`. Everything here came from the client: the values are evidence of
 * what was asked, and the schema escapes their control characters.
 */
export interface StreamRequest {
  /** The `command` parameters in order (none for attach). */
  command: string[];
  /** The `container` parameter, absent when not given or empty (the API server then picks the pod's only container). */
  container?: string;
  /** `stdin`: the client streams its input (an interactive session). */
  stdin: boolean;
  /** `tty`: a terminal was allocated. */
  tty: boolean;
}

/**
 * A boolean query parameter as the API server converts it
 * (k8s.io/apimachinery/pkg/runtime/conversion.go,
 * `Convert_Slice_string_To_bool`): absent is false; the first value "0" or
 * "false" (`strings.EqualFold`, so "FALSE" and "falſe" too) is false; any
 * other value, the empty string too, is true. So `?tty=yes` allocated a
 * terminal, and the event must say so.
 */
function queryBool(values: string[]): boolean {
  const first = values[0];
  if (first === undefined) return false;
  // Go's EqualFold uses Unicode simple folding: ſ (U+017F) folds to s; toUpperCase maps it to S.
  return !(first === '0' || first.toUpperCase() === 'FALSE' || first.toLowerCase() === 'false');
}

/**
 * One `%XX`/`+` escaped query component as Go's `url.QueryUnescape` reads
 * it, or undefined where Go returns an error (a `%` not followed by two hex
 * digits). The bytes are decoded as UTF-8 (U+FFFD for bad ones: stored
 * text must be UTF-8).
 */
function queryUnescape(text: string): string | undefined {
  const plain = text.replace(/\+/g, ' ');
  if (!plain.includes('%')) return plain;
  if (/%(?![0-9A-Fa-f]{2})/.test(plain)) return undefined;
  // Runs of escapes become their bytes, the text between them its UTF-8 (a
  // character outside the BMP whole: it is two UTF-16 units).
  const parts = plain.split(/((?:%[0-9A-Fa-f]{2})+)/);
  return Buffer.concat(parts.map((p, i) => (i % 2 === 1 ? Buffer.from(p.replace(/%/g, ''), 'hex') : Buffer.from(p, 'utf8')))).toString('utf8');
}

/**
 * The query as the API server reads it: Go's `url.ParseQuery` (net/url,
 * `parseQuery`), which skips a pair that holds a `;` and a pair whose key
 * or value is badly escaped, keeping the others. A reader that kept them
 * (URLSearchParams does) would record another command or container than the
 * one that ran: `command=/bin/echo%zz&command=rm` runs `rm`.
 */
function goParseQuery(query: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const pair of query.split('&')) {
    if (pair === '' || pair.includes(';')) continue;
    const eq = pair.indexOf('=');
    const key = queryUnescape(eq < 0 ? pair : pair.slice(0, eq));
    const value = queryUnescape(eq < 0 ? '' : pair.slice(eq + 1));
    if (key === undefined || value === undefined) continue;
    const list = out.get(key);
    if (list) list.push(value);
    else out.set(key, [value]);
  }
  return out;
}

/**
 * Reads the stream parameters from a request URI (`/api/v1/namespaces/ns/
 * pods/p/exec?command=...`) as the API server does ({@link goParseQuery}).
 * Single-valued ones take their first value, as
 * `Convert_Slice_string_To_string` does.
 */
export function streamRequestOf(requestURI: string): StreamRequest {
  const at = requestURI.indexOf('?');
  const query = goParseQuery(at < 0 ? '' : requestURI.slice(at + 1));
  const container = query.get('container')?.[0];
  return {
    command: query.get('command') ?? [],
    ...(container ? { container } : {}),
    stdin: queryBool(query.get('stdin') ?? []),
    tty: queryBool(query.get('tty') ?? []),
  };
}

/**
 * A command's arguments as one line that keeps their boundaries: an
 * argument of plain characters as it is, any other single-quoted as a POSIX
 * shell would need it (`sh -c 'cat /etc/shadow'` and `sh -c cat /etc/shadow`
 * are different commands). Docker and Falco show a command line without
 * quotes; this is the same but where an argument would be misread.
 */
export function commandLine(args: readonly string[]): string {
  return args.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** A stream into a container opened through the API server's node proxy, straight to the kubelet. */
export interface KubeletStream extends StreamRequest {
  /** The kubelet route: exec, attach or run. */
  action: 'exec' | 'attach' | 'run';
  namespace: string;
  pod: string;
}

/**
 * The path a `nodes/proxy` request hands the kubelet, as the API server
 * makes it: from `req.URL.Path`, the request's path decoded once
 * (apiserver request/requestinfo.go `splitPath`, then
 * endpoints/handlers/rest.go `getRequestOptions`, which joins the parts
 * after `proxy`), joined onto the kubelet's address by `path.Join`, which
 * drops empty and `.` segments and resolves `..` (pkg/registry/core/node/rest
 * proxy.go). The audit event's `requestURI` is the path as sent, so
 * `/proxy/%65xec/...`, `/proxy/exec%2Fns%2Fpod%2Fc`, `/proxy/./exec/...` and
 * `/proxy/logs/../exec/...` all reach the kubelet's exec route without
 * reading `/proxy/exec/` (found by a probe). Undefined for a path that is
 * not `/api/v1/nodes/{node}/proxy[/...]` or is badly escaped (Go's server
 * refuses those: 400).
 */
function kubeletPathOf(rawPath: string): string | undefined {
  // Go's PathUnescape: %XX only, a "+" is itself.
  const path = queryUnescape(rawPath.replace(/\+/g, '%2B'));
  if (path === undefined) return undefined;
  const parts = path.replace(/^\/+|\/+$/g, '').split('/');
  if (parts[0] !== 'api' || parts[1] !== 'v1' || parts[2] !== 'nodes' || parts[4] !== 'proxy') return undefined;
  return posix.join('/', parts.slice(5).join('/'));
}

/**
 * What a `nodes/proxy` request asked the kubelet for, when it opens a
 * stream into a container: `/api/v1/nodes/{node}/proxy/{exec|attach|run}/
 * {namespace}/{pod}[/{uid}]/{container}` (the kubelet's routes,
 * pkg/kubelet/server/server.go), read from the path the kubelet is given
 * ({@link kubeletPathOf}). `get` on nodes/proxy is enough for it
 * (Kubernetes "Kubelet authentication/authorization"), so it is a way into
 * a container that the pods/exec rule of an audit policy does not see.
 * The kubelet reads `command` (exec), `cmd` split on spaces (run: "for
 * legacy reasons"), and `input`/`tty` equal to "1" (core/v1
 * ExecStdinParam, ExecTTYParam). Undefined for any other proxied path
 * (metrics, logs, stats).
 */
export function kubeletStreamOf(requestURI: string): KubeletStream | undefined {
  const at = requestURI.indexOf('?');
  const path = kubeletPathOf(at < 0 ? requestURI : requestURI.slice(0, at));
  const m = path === undefined ? null : /^\/(exec|attach|run)\/([^/]+)\/([^/]+)\/(?:[^/]+\/)?([^/]+)$/.exec(path);
  if (!m) return undefined;
  const query = goParseQuery(at < 0 ? '' : requestURI.slice(at + 1));
  const action = m[1] as KubeletStream['action'];
  const cmd = query.get('cmd')?.[0];
  return {
    action,
    namespace: m[2]!,
    pod: m[3]!,
    container: m[4]!,
    command: action === 'run' ? (cmd ? cmd.split(' ') : []) : (query.get('command') ?? []),
    stdin: query.get('input')?.[0] === '1',
    tty: query.get('tty')?.[0] === '1',
  };
}
