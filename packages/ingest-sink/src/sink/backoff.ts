/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential
 * Backoff And Jitter"): a uniform delay in [0, min(max, initial * factor^n)],
 * so a fleet of sinks does not reconnect to a recovering database in lockstep.
 */
export function backoffDelay(attempt: number, opts: { initialDelayMs: number; maxDelayMs: number; factor: number }, random = Math.random): number {
  const cap = Math.min(opts.maxDelayMs, opts.initialDelayMs * opts.factor ** Math.min(attempt, 30));
  return Math.max(opts.initialDelayMs / 4, Math.round(random() * cap));
}

/**
 * Resolves after `ms`, or at once when the signal aborts. `unref`: the timer
 * does not keep the process alive (a background wait, not work pending).
 */
export function sleep(ms: number, signal?: AbortSignal, unref = false): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    if (unref) t.unref();
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
