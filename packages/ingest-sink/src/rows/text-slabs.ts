/**
 * Reusable buffers for the encoded texts of row chunks (row-chunk.ts).
 *
 * Why a pool: a chunk lives until its rows are committed, long enough for V8
 * to promote it to the old generation, and the buffer of an old object is
 * freed only by a full collection. Left to V8, the texts' memory outside the
 * heap makes it run extra full collections for it: 36 per receiver run
 * against 26-31 with the pool, and 5% fewer events/s (bench/receiver.ts,
 * SQLite, 3 alternating pairs), at the same peak RSS. Handed back here when
 * their rows are delivered, buffers are reused at once.
 */

/** Bytes of a pooled slab: a Latin-1 text under MAX_TEXT_CHARS (60 000) fits. */
export const SLAB_BYTES = 64 * 1024;
/** Slabs kept for reuse at most (4 MiB); more are left to the garbage collector. */
const MAX_FREE = 64;

const free: Buffer[] = [];

/** A buffer of at least `bytes` bytes, uninitialised: a pooled slab when one is big enough, else a buffer of its own. */
export function takeSlab(bytes: number): Buffer {
  if (bytes > SLAB_BYTES) return Buffer.allocUnsafeSlow(bytes);
  return free.pop() ?? Buffer.allocUnsafeSlow(SLAB_BYTES);
}

/** Returns a buffer from {@link takeSlab} for reuse; the caller must not read it afterwards. */
export function giveSlab(slab: Buffer): void {
  if (slab.length === SLAB_BYTES && free.length < MAX_FREE) free.push(slab);
}

/** Slabs waiting for reuse (for tests). */
export function freeSlabs(): number {
  return free.length;
}
