/**
 * Kubernetes API server audit events (`audit.k8s.io/v1`, the log backend's
 * JSON lines) for the normaliser tests, shaped as kube-apiserver writes
 * them: field names from kubernetes/kubernetes
 * staging/src/k8s.io/apiserver/pkg/apis/audit/v1/types.go, a session that
 * ran logged at ResponseStarted with 101 (the stream opened) and again at
 * ResponseComplete, kubectl >= 1.31 exec over WebSocket as verb `get`
 * (SPDY's POST was `create`), a refused one as 403 with a Forbidden status.
 */

type Json = Record<string, unknown>;

/** The pod most events are about. */
export const POD = { namespace: 'shop', name: 'cart-5d8f7c9b4-x2x7q' } as const;

/** When the example request reached the API server (metav1.MicroTime: microseconds, UTC). */
export const RECEIVED = '2026-03-02T09:14:07.512345Z';

const ALICE = {
  username: 'alice@example.com',
  uid: 'oidc:7c1f4a2e',
  groups: ['platform-oncall', 'system:authenticated'],
  extra: { 'authentication.kubernetes.io/credential-id': ['JTI=8f3c9a1d-2b7e-4f60-9d5c-1e2a3b4c5d6e'] },
};

/** `kubectl exec -it cart-... -c app -- /bin/sh` over WebSocket (kubectl 1.33), as logged at `stage`. */
export function execEvent(stage: 'RequestReceived' | 'ResponseStarted' | 'ResponseComplete' | 'Panic' = 'ResponseStarted', patch: Json = {}): Json {
  const responded = stage !== 'RequestReceived';
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: 'b6a4a1c0-3f0e-4a8e-9a53-6f1d2c7e9b10',
    stage,
    requestURI: `/api/v1/namespaces/${POD.namespace}/pods/${POD.name}/exec?command=%2Fbin%2Fsh&container=app&stdin=true&stdout=true&tty=true`,
    verb: 'get',
    user: ALICE,
    sourceIPs: ['198.51.100.20'],
    userAgent: 'kubectl/v1.33.3 (linux/amd64) kubernetes/80779bd',
    objectRef: { resource: 'pods', namespace: POD.namespace, name: POD.name, apiVersion: 'v1', subresource: 'exec' },
    ...(responded ? { responseStatus: stage === 'Panic' ? { metadata: {}, code: 500 } : { metadata: {}, code: 101 } } : {}),
    requestReceivedTimestamp: RECEIVED,
    stageTimestamp: stage === 'RequestReceived' ? RECEIVED : stage === 'ResponseStarted' ? '2026-03-02T09:14:07.538904Z' : '2026-03-02T09:31:55.004211Z',
    ...(responded
      ? {
          annotations: {
            'authorization.k8s.io/decision': 'allow',
            'authorization.k8s.io/reason': 'RBAC: allowed by ClusterRoleBinding "oncall-exec" of ClusterRole "pod-exec" to Group "platform-oncall"',
          },
        }
      : {}),
    ...patch,
  };
}

/** A `kubectl exec` (SPDY, verb create) the authorizer refused: RequestReceived, then ResponseComplete 403. */
export function deniedExecEvent(stage: 'RequestReceived' | 'ResponseComplete' = 'ResponseComplete'): Json {
  const message = `pods "${POD.name}" is forbidden: User "mallory@example.com" cannot create resource "pods/exec" in API group "" in the namespace "${POD.namespace}"`;
  return execEvent(stage === 'RequestReceived' ? 'RequestReceived' : 'ResponseComplete', {
    auditID: '0f6c2d8e-5b1a-4c3e-8d7f-9a0b1c2d3e4f',
    verb: 'create',
    requestURI: `/api/v1/namespaces/${POD.namespace}/pods/${POD.name}/exec?command=bash&command=-il&container=app&stdin=true&stdout=true&tty=true`,
    user: { username: 'mallory@example.com', groups: ['contractors', 'system:authenticated'] },
    sourceIPs: ['203.0.113.77'],
    userAgent: 'kubectl/v1.29.3 (linux/amd64) kubernetes/6813625',
    requestReceivedTimestamp: '2026-03-02T10:02:41.100200Z',
    stageTimestamp: '2026-03-02T10:02:41.101877Z',
    ...(stage === 'ResponseComplete'
      ? {
          responseStatus: { metadata: {}, status: 'Failure', message, reason: 'Forbidden', details: { name: POD.name, kind: 'pods' }, code: 403 },
          annotations: { 'authorization.k8s.io/decision': 'forbid', 'authorization.k8s.io/reason': '' },
        }
      : {}),
  });
}

/** `kubectl attach -it cart-... -c app`: no command, the container's main process. */
export function attachEvent(): Json {
  return execEvent('ResponseStarted', {
    auditID: '5e9d7c3b-1a2f-4e6d-8c0b-7a9e1f3d5c2b',
    requestURI: `/api/v1/namespaces/${POD.namespace}/pods/${POD.name}/attach?container=app&stdin=true&stdout=true&tty=true`,
    objectRef: { resource: 'pods', namespace: POD.namespace, name: POD.name, apiVersion: 'v1', subresource: 'attach' },
  });
}

/** Requests that open no stream into a container: a pod read, its logs, a list, a health check. */
export function otherEvents(): Json[] {
  const base = { kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', stage: 'ResponseComplete', user: ALICE, sourceIPs: ['198.51.100.20'] };
  const times = { requestReceivedTimestamp: RECEIVED, stageTimestamp: RECEIVED };
  return [
    { ...base, ...times, auditID: 'a1', verb: 'get', requestURI: `/api/v1/namespaces/shop/pods/${POD.name}`, objectRef: { resource: 'pods', namespace: 'shop', name: POD.name, apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 200 } },
    { ...base, ...times, auditID: 'a2', verb: 'get', requestURI: `/api/v1/namespaces/shop/pods/${POD.name}/log?container=app`, objectRef: { resource: 'pods', namespace: 'shop', name: POD.name, apiVersion: 'v1', subresource: 'log' }, responseStatus: { metadata: {}, code: 200 } },
    { ...base, ...times, auditID: 'a3', verb: 'list', requestURI: '/api/v1/namespaces/shop/pods?limit=500', objectRef: { resource: 'pods', namespace: 'shop', apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 200 } },
    { ...base, ...times, auditID: 'a4', verb: 'get', requestURI: '/healthz', responseStatus: { metadata: {}, code: 200 } },
    // A custom resource that happens to be called pods, with an exec subresource: not the core pod.
    { ...base, ...times, auditID: 'a5', verb: 'create', requestURI: '/apis/example.com/v1/namespaces/shop/pods/x/exec', objectRef: { resource: 'pods', namespace: 'shop', name: 'x', apiGroup: 'example.com', apiVersion: 'v1', subresource: 'exec' }, responseStatus: { metadata: {}, code: 201 } },
  ];
}

/** One JSON line, as the log backend writes it. */
export const line = (event: Json): string => JSON.stringify(event);
