import type { LineItem } from '../sink/types.js';
import { classifyLine } from './classify-line.js';

/**
 * One line of a file read by `audit-trail ingest --container-events`,
 * classified as the receivers classify a record's text (classify-line.ts):
 * an audit line as it is; a Docker event (`docker events --format
 * '{{json .}}'`), a Falco JSON alert or a Kubernetes audit event of a
 * pods/exec, pods/attach or ephemeral-container request mapped to its
 * CONTAINER_* event (a deterministic `event_id`, so a file loaded twice is
 * stored once); undefined for any other line (the API server's other
 * requests, a Falco host alert), which the caller skips and counts. The file
 * is the operator's choice, so no tag decides whether container events are
 * trusted (the receivers' `containerEventTags`).
 *
 * `node`: the node the file was collected on (`--node`), stored as the
 * container events' node, as the forward receiver stores the node a Swarm
 * tag names: Docker's event stream names none, so without it the shell
 * reports could not say on which node a container ran. An audit line of the
 * file keeps only what it says of itself, and so does a Kubernetes audit
 * event: the API server's log names pods on every node, not on the one it
 * was collected on (classifyObject).
 */
export function classifyFileLine(text: string, source: string, node?: string): LineItem | undefined {
  const n = classifyLine(text, node ? { swarm_node: node } : {}, source);
  if (n.kind !== 'sink') return undefined;
  if (n.container || !node) return n.item;
  const { meta: _stamped, ...item } = n.item;
  return item;
}
