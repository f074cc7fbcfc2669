/**
 * A progress line on a terminal (stderr), redrawn in place every 200 ms,
 * and the other lines written to stderr meanwhile. Each of those starts on a
 * cleared line: a signal's message or the spool's warning was written after
 * the progress text, glued to it (`...spooled 3000audit-trail ingest:
 * SIGINT: ...`; found by a probe). Off a terminal nothing is drawn and lines
 * are written as they are.
 */
export class ProgressLine {
  private drawn = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly stderr: NodeJS.WritableStream & { isTTY?: boolean }) {}

  /** Writes `text` (whole lines) on a line of its own; the progress is drawn again at its next turn. */
  say(text: string): void {
    if (this.drawn) this.stderr.write('\r\x1b[K');
    this.drawn = false;
    this.stderr.write(text);
  }

  /** Draws `line()` now and every 200 ms, on a terminal only, until {@link stop}. */
  start(line: () => string): void {
    if (!this.stderr.isTTY || this.timer) return;
    const draw = () => {
      this.stderr.write(`\r\x1b[K${line()}`);
      this.drawn = true;
    };
    this.stop = () => {
      clearInterval(this.timer);
      this.stop = () => undefined;
      draw();
      this.stderr.write('\n');
      this.drawn = false;
    };
    this.timer = setInterval(draw, 200);
  }

  /** Draws the progress a last time and ends its line; nothing when it never started. Idempotent. */
  stop: () => void = () => undefined;
}
