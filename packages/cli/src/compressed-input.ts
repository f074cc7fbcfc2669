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
    const head = Buffer.alloc(10);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const found = COMPRESSIONS.find((c) => bytesRead >= c.magic.length && head.subarray(0, c.magic.length).equals(c.magic));
    return found && { kind: found.kind, tool: found.tool };
  } finally {
    await handle.close();
  }
}
