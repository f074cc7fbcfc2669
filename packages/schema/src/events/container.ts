import { z } from 'zod';
import { MAX_COMMAND_LINE_LENGTH } from '../constants.js';
import { envelopeShape } from '../envelope.js';
import { evidenceText, identifier } from '../fields/text.js';

/**
 * The container an event is about. Placement (node, pod) is in `runtime`.
 * `id` is optional: a Kubernetes API server audit event (pods/exec) names
 * the namespace, pod and container, never the runtime's container id
 * (kubernetes/kubernetes staging/src/k8s.io/apiserver/pkg/apis/audit/v1/types.go,
 * `ObjectReference`). Such an event says where it happened in `runtime`
 * (`k8s_namespace`, `k8s_pod`, `k8s_container`). When `id` is absent,
 * `runtime.container_id` (if any) is the container's id; the transport's
 * container (the collector's) never is.
 */
export const containerDetailSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[0-9a-f]{12,64}$/, { message: 'must be 12 to 64 lowercase hex characters' })
    .optional()
    .meta({ description: 'Runtime container id; absent when the source names the container otherwise (Kubernetes audit)' }),
  name: identifier(256).optional(),
  image: identifier(512).optional(),
  image_digest: z
    .string()
    .regex(/^sha256:[0-9a-f]{64}$/, { message: 'must be sha256:<64 hex>' })
    .optional(),
  privileged: z.boolean().optional(),
  capabilities: z.array(identifier(64)).max(64).optional(),
  target: identifier(
    256,
    "The container whose process namespace this one joined: a Kubernetes ephemeral container's targetContainerName (kubectl debug --target)",
  ).optional(),
  runtime: identifier(64, 'docker, containerd, cri-o...').optional(),
});

/** The process started in the container (exec / shell). */
export const processDetailSchema = z.strictObject({
  command_line: evidenceText(MAX_COMMAND_LINE_LENGTH),
  command_line_truncated: z
    .boolean()
    .optional()
    .meta({ description: `True when command_line was longer than ${MAX_COMMAND_LINE_LENGTH} UTF-16 code units (control characters escaped) and was cut: its tail is not in the event` }),
  exec_user: identifier(256).optional(),
  tty: z.boolean().optional(),
  interactive: z.boolean().optional(),
  pid: z.int().min(0).optional(),
});

/** Who noticed: a runtime detector (Falco rule), the Docker event stream, or the app. */
export const detectorDetailSchema = z.strictObject({
  name: z.enum(['falco', 'docker-events', 'kubernetes-audit', 'app', 'other']),
  rule: identifier(256).optional(),
  priority: identifier(32).optional(),
});

/** Lifecycle facts of a start or stop. */
export const lifecycleDetailSchema = z.strictObject({
  action: z.enum(['create', 'start', 'restart', 'die', 'stop', 'kill', 'destroy', 'oom']),
  exit_code: z.int().optional(),
  signal: identifier(16).optional(),
});

const base = {
  ...envelopeShape,
  container: containerDetailSchema,
  detector: detectorDetailSchema.optional(),
};

/**
 * A process (often a shell) was started inside a running container.
 * `user_id` is who asked for it; `impersonated_user_id` whom they acted as,
 * when the request impersonated another identity (Kubernetes `--as`: the
 * audit event's `impersonatedUser`, whose permissions authorised it).
 */
export const containerExecSchema = z
  .strictObject({
    ...base,
    event_type: z.literal('CONTAINER_EXEC'),
    process: processDetailSchema,
    impersonated_user_id: identifier(
      256,
      'The identity user_id acted as (Kubernetes impersonatedUser.username); user_id stays the authenticated one',
    ).optional(),
  })
  .meta({ id: 'ContainerExec', description: 'A process or shell was executed in a container' });

/** A container started. */
export const containerStartSchema = z
  .strictObject({ ...base, event_type: z.literal('CONTAINER_START'), lifecycle: lifecycleDetailSchema.optional() })
  .meta({ id: 'ContainerStart', description: 'A container started' });

/** A container stopped, died or was killed. */
export const containerStopSchema = z
  .strictObject({ ...base, event_type: z.literal('CONTAINER_STOP'), lifecycle: lifecycleDetailSchema.optional() })
  .meta({ id: 'ContainerStop', description: 'A container stopped' });

/** A container runs privileged (Falco "Launch Privileged Container", MITRE T1610). */
export const containerPrivilegedSchema = z
  .strictObject({
    ...base,
    event_type: z.literal('CONTAINER_PRIVILEGED'),
    container: containerDetailSchema.extend({ privileged: z.literal(true) }),
    process: processDetailSchema.optional(),
  })
  .meta({ id: 'ContainerPrivileged', description: 'A privileged container was started' });
