import { sleep } from './backoff.js';

/**
 * Waits for `work` to settle, or `ms`, whichever comes first; resolves true
 * when the work settled in time. Never rejects, leaves no timer behind: the
 * bound of a shutdown step that may wait on a database or a sender that is
 * gone.
 */
export async function settleWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  const timer = new AbortController();
  let settled = false;
  await Promise.race([work.then(() => (settled = true), () => (settled = true)), sleep(ms, timer.signal)]);
  timer.abort();
  return settled;
}
