/** Reads shorter than this are copied into a shared chunk of this size instead of being kept one Buffer each. */
const CHUNK_BYTES = 4096;

/**
 * The bytes of many reads, kept until they are joined once (the start of an
 * unfinished frame). A Buffer costs some hundred bytes of heap whatever its
 * length, so reads kept one each made a frame that arrives a byte per read
 * cost over 100 times its length: 100 connections each holding 20 KB of an
 * unfinished line sent a byte at a time grew the receiver by 760 MB (found by
 * a probe), far past what maxFrameBytes x maxConnections suggests. Short reads
 * are copied into chunks of CHUNK_BYTES, so what is held is at most about
 * twice its length, and each byte is copied at most once before the join.
 */
export class ByteList {
  private parts: Buffer[] = [];
  /** The chunk short reads are being copied into, and how much of it is used. */
  private chunk: Buffer | undefined;
  private used = 0;
  /** Bytes held. */
  length = 0;

  /** Adds `b`; with `copy`, a long `b` is copied too (so the read it is a view of is not kept alive). */
  push(b: Buffer, copy = false): void {
    if (b.length === 0) return;
    this.length += b.length;
    if (b.length >= CHUNK_BYTES) {
      this.seal();
      this.parts.push(copy ? Buffer.from(b) : b);
      return;
    }
    if (!this.chunk || this.chunk.length - this.used < b.length) {
      this.seal();
      this.chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    }
    b.copy(this.chunk, this.used);
    this.used += b.length;
  }

  /** The pieces held, in order (the last chunk cut to what it holds). */
  pieces(): Buffer[] {
    this.seal();
    return this.parts;
  }

  /** All the bytes, joined. */
  join(): Buffer {
    const p = this.pieces();
    return p.length === 1 ? p[0]! : Buffer.concat(p, this.length);
  }

  private seal(): void {
    if (this.chunk && this.used > 0) this.parts.push(this.chunk.subarray(0, this.used));
    this.chunk = undefined;
    this.used = 0;
  }
}
