/** Prints the demo's numbered steps with their duration, so a new user sees where it is. */
export class Progress {
  #start = Date.now();
  #step = 0;
  #stepStart = 0;
  constructor(
    private readonly total: number,
    private readonly out: NodeJS.WritableStream = process.stdout,
  ) {}

  /** Starts step N of the total. */
  step(title: string): void {
    this.#step += 1;
    this.#stepStart = Date.now();
    this.out.write(`\n[${this.#step}/${this.total}] ${title}\n`);
  }

  /** A detail line under the current step. */
  note(text: string): void {
    this.out.write(`      ${text}\n`);
  }

  /** Ends the current step. */
  done(summary: string): void {
    this.out.write(`      ✓ ${summary} (${((Date.now() - this.#stepStart) / 1000).toFixed(1)} s)\n`);
  }

  /** Seconds since the demo started. */
  elapsed(): string {
    return ((Date.now() - this.#start) / 1000).toFixed(1);
  }
}
