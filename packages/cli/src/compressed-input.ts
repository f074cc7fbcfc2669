import { open } from 'node:fs/promises';

/** A compression format by the magic bytes its files start with, and the tool that writes it out decompressed. */
interface Compression {
  kind: 'gzip' | 'zstd' | 'xz' | 'bzip2';
  tool: string;
  magic: Buffer;
}

/**
 * The formats a rotated log is commonly compressed with (logrotate's
 * `compress`: gzip; journald and Docker's local driver: zstd), by their magic
 * bytes: gzip RFC 1952 §2.3.1, zstd RFC 8878 §3.1.1, xz (.xz file format
 * §2.1.1.1), bzip2 (`BZh`, a block size digit, the block magic `1AY&SY`).
 */
const COMPRESSIONS: readonly Compression[] = [
  { kind: 'gzip', tool: 'zcat', magic: Buffer.from([0x1f, 0x8b]) },
  { kind: 'zstd', tool: 'zstdcat', magic: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]) },
  { kind: 'xz', tool: 'xzcat', magic: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) },
  ...'123456789'.split('').map((size): Compression => ({ kind: 'bzip2', tool: 'bzcat', magic: Buffer.from(`BZh${size}1AY&SY`) })),
];

/**
 * The compression a regular file is in, read from its first bytes; undefined
 * for anything else. `ingest` read a gzip'ed log as lines of binary and
 * stored them as rejects, exit 0 (found by a probe): no line of NDJSON starts
 * with these bytes (gzip's 0x1f is a control character, 0xfd and 0xb5 no
 * UTF-8 lead byte, bzip2's ten bytes no JSON).
 */
export async function compressionOf(file: string): Promise<Pick<Compression, 'kind' | 'tool'> | undefined> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return compressionOfHead(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/** Bytes that tell every format of {@link COMPRESSIONS} apart: bzip2's ten. */
const HEAD_BYTES = 10;

/** The compression whose magic bytes `head` (a file's or a stream's first bytes) starts with. */
function compressionOfHead(head: Buffer): Pick<Compression, 'kind' | 'tool'> | undefined {
  const found = COMPRESSIONS.find((c) => head.length >= c.magic.length && head.subarray(0, c.magic.length).equals(c.magic));
  return found && { kind: found.kind, tool: found.tool };
}

/** A read error (its code in the E... form ingest counts as one) saying what to run instead. */
function compressedError(c: Pick<Compression, 'kind' | 'tool'>): Error {
  return Object.assign(new Error(`it is ${c.kind}-compressed: decompress it first, e.g. \`${c.tool} FILE | audit-trail ingest -\``), { code: 'ECOMPRESSED' });
}

/**
 * `chunks` (a stream's), or an error once its first bytes show a compressed
 * stream: stdin and named pipes, which cannot be looked at before they are
 * read (`cat audit.ndjson.gz | audit-trail ingest -`). The chunks are passed
 * on as they came.
 */
export async function* refusingCompressed(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer | string> {
  const held: (Buffer | string)[] = [];
  let head = Buffer.alloc(0);
  let judged = false;
  for await (const chunk of chunks) {
    if (judged) {
      yield chunk;
      continue;
    }
    held.push(chunk);
    head = Buffer.concat([head, Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)]);
    if (head.length < HEAD_BYTES) continue;
    judged = true;
    const compressed = compressionOfHead(head);
    if (compressed) throw compressedError(compressed);
    yield* held.splice(0);
  }
  // A stream shorter than the longest magic: judged by what there is.
  if (!judged) {
    const compressed = compressionOfHead(head);
    if (compressed) throw compressedError(compressed);
    yield* held;
  }
}
