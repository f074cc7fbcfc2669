/**
 * A database step that writes wait for until it has passed once (the
 * migration postponed by an outage: migrate-first.ts; the table check of a
 * sink that does not migrate: check-first.ts). Callers arriving while an
 * attempt is in flight share it, so a burst of writes asks the database
 * once; a failed attempt is simply tried again by the next caller.
 */
export class UntilPassed {
  private running: Promise<void> | undefined;

  constructor(
    private readonly step: () => Promise<void>,
    private passed = false,
  ) {}

  /** Whether an attempt has passed since the start or the last {@link reset}. */
  get hasPassed(): boolean {
    return this.passed;
  }

  /** Runs the step unless it has passed (`again`: even then), joining an attempt in flight; rejects as the attempt does. */
  async run(again = false): Promise<void> {
    if (this.passed && !again) return;
    this.running ??= this.step().finally(() => (this.running = undefined));
    await this.running;
    this.passed = true;
  }

  /** Makes the next {@link run} ask the database again. */
  reset(): void {
    this.passed = false;
  }
}
