import { FluentClient } from '@fluent-org/logger';

/** Where one simulated Swarm task runs, as Docker's log driver would describe it. */
export interface TaskPlacement {
  node: string;
  service: string;
  taskId: string;
  /** Full 64-hex container id. */
  containerId: string;
}

/**
 * A logger destination that ships each stdout line the way Docker's fluentd
 * log driver does (moby daemon/logger/fluentd): one Message-mode request per
 * line, record `{container_id, container_name, source, log}` with string
 * values, the tag from the Swarm template
 * `swarm.audit.{{.Node.Hostname}}.{{.Service.Name}}.{{.Task.ID}}`, and an ack
 * per request (`fluentd-request-ack`).
 */
export class DockerDriverDestination {
  readonly #client: FluentClient;
  readonly #placement: TaskPlacement;
  readonly #pending = new Set<Promise<void>>();
  #buffer = '';
  #failures: Error[] = [];

  constructor(port: number, placement: TaskPlacement) {
    this.#placement = placement;
    // FluentClient prefixes the tag: "<prefix>.<label>", the label being the task id.
    this.#client = new FluentClient(`swarm.audit.${placement.node}.${placement.service}`, {
      eventMode: 'Message',
      socket: { host: '127.0.0.1', port, timeout: 10_000 },
      ack: { ackTimeout: 10_000 },
      eventRetry: { attempts: 5 },
    });
  }

  /** pino writes complete lines; a chunk may hold several. */
  write(chunk: string): boolean {
    this.#buffer += chunk;
    let nl: number;
    while ((nl = this.#buffer.indexOf('\n')) >= 0) {
      const line = this.#buffer.slice(0, nl);
      this.#buffer = this.#buffer.slice(nl + 1);
      if (line) this.#send(line);
    }
    return true;
  }

  #send(line: string): void {
    const p = this.#placement;
    const record = {
      container_id: p.containerId,
      container_name: `/${p.service}.1.${p.taskId}`,
      source: 'stdout',
      log: line,
    };
    const sent = this.#client.emit(p.taskId, record).catch((err: Error) => void this.#failures.push(err));
    this.#pending.add(sent);
    void sent.finally(() => this.#pending.delete(sent));
  }

  /** Waits until every line sent so far is acked; throws if any could not be delivered. */
  async drain(): Promise<void> {
    while (this.#pending.size) await Promise.all([...this.#pending]);
    if (this.#failures.length) throw new Error(`${this.#failures.length} audit line(s) not acked: ${this.#failures[0]!.message}`);
  }

  /** Drains and disconnects. */
  async close(): Promise<void> {
    await this.drain();
    await this.#client.disconnect();
  }
}
