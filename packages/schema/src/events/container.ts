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

/**
 * The Docker Engine event actions ("Monitor events", container type) of a
 * CONTAINER_START: the container was created, started or restarted.
 * ingest-sink's docker-events normaliser maps these, and only these, to
 * CONTAINER_START; the OCSF mapper tells `restart` (5 Restart) from the
 * others (3 Start).
 */
export const START_ACTIONS = ['create', 'start', 'restart'] as const;

/** The Docker Engine event actions of a CONTAINER_STOP: it died, was stopped, killed, removed or ran out of memory. */
export const STOP_ACTIONS = ['die', 'stop', 'kill', 'destroy', 'oom'] as const;

/**
 * Lifecycle facts of a start or stop; `action` is any of {@link START_ACTIONS}
 * and {@link STOP_ACTIONS}. `exit_code` and `signal` are a stop's: a
 * CONTAINER_START refuses them.
 */
export const lifecycleDetailSchema = z.strictObject({
  action: z.enum([...START_ACTIONS, ...STOP_ACTIONS]),
  exit_code: z.int().optional(),
  signal: identifier(16).optional(),
});

/**
 * {@link lifecycleDetailSchema} whose action is one of `actions`: a
 * CONTAINER_START saying "stop" (or a stop saying "start") contradicts its
 * own type, and no producer writes it.
 */
function lifecycleOf<const A extends readonly [string, ...string[]]>(actions: A, type: string, other: string) {
  return lifecycleDetailSchema.extend({
    action: z.enum(actions, { error: `must be one of ${actions.join(', ')} in a ${type}: ${other}` }),
  });
}

/**
 * A member a CONTAINER_START cannot hold: it tells how a container ended, and
 * one that starts has not. Docker's engine writes exitCode on `die` and signal
 * on `kill` (moby daemon/monitor.go handleContainerExit, daemon/kill.go), on no
 * create, start or restart; the sink's docker-events normaliser copies them
 * into CONTAINER_STOP only.
 */
function notAtStart(member: 'exit_code' | 'signal', engine: string) {
  return z
    .never({ error: `a CONTAINER_START has no ${member}: a container that starts has not exited (Docker's engine gives ${engine}); it belongs to the CONTAINER_STOP` })
    .optional()
    .meta({ description: `Never in a CONTAINER_START: a container that starts has not exited (Docker's engine gives ${engine})` });
}

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

/** A container was created, started or restarted; its lifecycle holds no exit_code nor signal (it has not exited). */
export const containerStartSchema = z
  .strictObject({
    ...base,
    event_type: z.literal('CONTAINER_START'),
    lifecycle: lifecycleOf(START_ACTIONS, 'CONTAINER_START', `${STOP_ACTIONS.join(', ')} are a CONTAINER_STOP's`)
      .extend({ exit_code: notAtStart('exit_code', 'exitCode on die only'), signal: notAtStart('signal', 'signal on kill only') })
      .optional(),
  })
  .meta({ id: 'ContainerStart', description: 'A container started' });

/** A container stopped, died or was killed. */
export const containerStopSchema = z
  .strictObject({
    ...base,
    event_type: z.literal('CONTAINER_STOP'),
    lifecycle: lifecycleOf(STOP_ACTIONS, 'CONTAINER_STOP', `${START_ACTIONS.join(', ')} are a CONTAINER_START's`).optional(),
  })
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
