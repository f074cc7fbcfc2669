/**
 * Defaults of the aggregator (`audit-trail serve`). Deployment files in
 * examples/deploy are tested against these values, so change them together.
 */

/** Fluent forward protocol port (TCP, plus UDP heartbeat on the same port), as Fluentd's in_forward. */
export const DEFAULT_FORWARD_PORT = 24224;

/** Syslog port when the syslog receiver is enabled (TCP and UDP); unprivileged, as Fluent Bit's in_syslog. */
export const DEFAULT_SYSLOG_PORT = 5140;

/** Syslog over TLS (`--syslog tls://...`, TCP only): the port RFC 5425 registers for it. */
export const DEFAULT_SYSLOG_TLS_PORT = 6514;

/** HTTP port of the health endpoint (GET /healthz: sink counters as JSON). */
export const DEFAULT_HEALTH_PORT = 9880;

/**
 * Docker log-driver tag template of the reference Swarm design; the receiver
 * parses tags of this shape into swarm_node, swarm_service and swarm_task_id.
 */
export const DEFAULT_TAG_TEMPLATE = 'swarm.audit.{{.Node.Hostname}}.{{.Service.Name}}.{{.Task.ID}}';
