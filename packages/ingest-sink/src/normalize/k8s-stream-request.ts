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
 * "false" (any case) is false; any other value, the empty string too, is
 * true. So `?tty=yes` allocated a terminal, and the event must say so.
 */
function queryBool(values: string[]): boolean {
  const first = values[0];
  if (first === undefined) return false;
  return !(first === '0' || first.toLowerCase() === 'false');
}

/**
 * Reads the stream parameters from a request URI (`/api/v1/namespaces/ns/
 * pods/p/exec?command=...`). Single-valued ones take their first value, as
 * `Convert_Slice_string_To_string` does. `URLSearchParams` decodes `+` and
 * `%XX` as Go's `url.ParseQuery` does; a malformed `%` escape, which Go
 * drops, is kept here as written (it is what the client sent).
 */
export function streamRequestOf(requestURI: string): StreamRequest {
  const at = requestURI.indexOf('?');
  const query = new URLSearchParams(at < 0 ? '' : requestURI.slice(at + 1));
  const container = query.get('container');
  return {
    command: query.getAll('command'),
    ...(container ? { container } : {}),
    stdin: queryBool(query.getAll('stdin')),
    tty: queryBool(query.getAll('tty')),
  };
}
