/** The outcome of a Kubernetes API request, and its error when it failed. */
export interface RequestOutcome {
  outcome: 'success' | 'failure' | 'unknown';
  error?: { code: string; message: string };
}

/** A `metav1.Status` as the audit event carries it in `responseStatus`. */
interface Status {
  code?: unknown;
  reason?: unknown;
  message?: unknown;
}

// metav1.StatusReason values are CamelCase words ("Forbidden", "NotFound",
// "InternalError", the longest "RequestEntityTooLarge";
// k8s.io/apimachinery/pkg/apis/meta/v1/types.go). Anything else is left out
// of the error code, which must stay an UPPER_SNAKE name of at most 64
// characters (24 letters give at most 47, after "K8S_599_").
const REASON = /^[A-Z][A-Za-z]{0,23}$/;

/**
 * Outcome of the request from its `responseStatus` (audit/v1 types.go: "The
 * response status, populated even when the ResponseObject is not a Status
 * type"): 101 (the connection was upgraded to the exec/attach stream; the
 * audit filter records 101 for a hijacked connection, kubernetes/kubernetes
 * PR #46854) and 2xx are success; 400 and above are failure, with the error
 * `K8S_<code>_<REASON>` (e.g. `K8S_403_FORBIDDEN`; `K8S_401` for a failed
 * authentication, whose status has no reason) and the server's message; a
 * status without a code, or another code, is unknown. A refused exec is
 * evidence too: someone tried. Throws on a status of the wrong shape
 * (classifyObject keeps the line as a reject).
 */
export function requestOutcomeOf(responseStatus: unknown): RequestOutcome {
  if (responseStatus === undefined || responseStatus === null) return { outcome: 'unknown' };
  if (typeof responseStatus !== 'object' || Array.isArray(responseStatus)) throw new TypeError('responseStatus is not an object');
  const s = responseStatus as Status;
  if (s.code === undefined || s.code === 0) return { outcome: 'unknown' };
  if (typeof s.code !== 'number' || !Number.isInteger(s.code) || s.code < 100 || s.code > 599) {
    throw new RangeError(`responseStatus.code ${String(JSON.stringify(s.code)).slice(0, 32)} is not an HTTP status code`);
  }
  if (s.message !== undefined && typeof s.message !== 'string') throw new TypeError('responseStatus.message is not a string');
  if (s.code === 101 || (s.code >= 200 && s.code < 300)) return { outcome: 'success' };
  if (s.code < 400) return { outcome: 'unknown' };
  const reason = typeof s.reason === 'string' && REASON.test(s.reason) ? `_${s.reason.replace(/(?<=[a-z])(?=[A-Z])/g, '_').toUpperCase()}` : '';
  return { outcome: 'failure', error: { code: `K8S_${s.code}${reason}`, message: s.message || `HTTP ${s.code}` } };
}
