import type { AuditEventInput } from '@audit-trail/schema';
import { hostname } from 'node:os';

/** Placement fields of the `runtime` object, as the schema's envelope defines them. */
export type RuntimeFields = NonNullable<AuditEventInput['runtime']>;

const HEX_ID = /^[0-9a-f]{12}$|^[0-9a-f]{64}$/;

function first(env: NodeJS.ProcessEnv, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = env[n];
    if (v) return v;
  }
  return undefined;
}

/**
 * Runtime fields from the environment. Docker Swarm does not export its
 * placement to the container, so the service definition passes it with
 * templates (`SWARM_NODE={{.Node.Hostname}}`, `SWARM_SERVICE={{.Service.Name}}`,
 * `SWARM_TASK_ID={{.Task.ID}}`); Kubernetes passes it with the downward API
 * (`K8S_NODE_NAME` from `spec.nodeName`, `K8S_POD_NAME` from `metadata.name`,
 * `K8S_NAMESPACE` from `metadata.namespace`; `NODE_NAME`, `POD_NAME`,
 * `POD_NAMESPACE` are accepted too) and `K8S_CONTAINER_NAME`. The container
 * id is `CONTAINER_ID`, else `HOSTNAME` when it is 12 or 64 lowercase hex
 * (Docker's default hostname is the short container id).
 */
export function runtimeFromEnv(env: NodeJS.ProcessEnv): RuntimeFields {
  const rt: RuntimeFields = {
    host: env.AUDIT_TRAIL_HOST || undefined,
    container_id: env.CONTAINER_ID || (env.HOSTNAME && HEX_ID.test(env.HOSTNAME) ? env.HOSTNAME : undefined),
    swarm_node: env.SWARM_NODE || undefined,
    swarm_service: env.SWARM_SERVICE || undefined,
    swarm_task_id: env.SWARM_TASK_ID || undefined,
    k8s_namespace: first(env, 'K8S_NAMESPACE', 'POD_NAMESPACE'),
    k8s_pod: first(env, 'K8S_POD_NAME', 'POD_NAME'),
    k8s_container: first(env, 'K8S_CONTAINER_NAME'),
    k8s_node: first(env, 'K8S_NODE_NAME', 'NODE_NAME'),
  };
  for (const k of Object.keys(rt) as (keyof RuntimeFields)[]) if (rt[k] === undefined) delete rt[k];
  return rt;
}

/** The `producer` object: service from options or `AUDIT_TRAIL_SERVICE` / `OTEL_SERVICE_NAME`; instance defaults to the host name. */
export function producerFromEnv(
  env: NodeJS.ProcessEnv,
  opts: { service?: string; version?: string; instance?: string },
  sdkVersion: string,
): { service?: string; version?: string; sdk_version: string; instance: string } {
  const p = {
    service: opts.service ?? first(env, 'AUDIT_TRAIL_SERVICE', 'OTEL_SERVICE_NAME'),
    version: opts.version ?? first(env, 'AUDIT_TRAIL_SERVICE_VERSION'),
    sdk_version: sdkVersion,
    instance: opts.instance ?? (env.HOSTNAME || hostname()),
  };
  if (p.version === undefined) delete p.version;
  return p;
}
