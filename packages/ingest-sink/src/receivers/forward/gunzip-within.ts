import { createGunzip } from 'node:zlib';

/**
 * Decompresses gzip (several members allowed, as Fluent Bit sends them)
 * chunk by chunk, calling `charge(n)` for each decompressed chunk before
 * keeping it. `charge` throws to stop (the server-wide budget is spent): a
 * request of a few KiB that inflates to `maxOutput` is refused as its bytes
 * appear, not after all of them are in memory (forty connections of gzip
 * bombs reached 5.6 GB before the budget was checked, found by a probe).
 * Rejects with `tooLarge()` past `maxOutput` bytes, with what `charge`
 * threw, or with zlib's error for invalid input.
 */
export function gunzipWithin(data: Buffer, maxOutput: number, charge: (n: number) => void, tooLarge: () => Error): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const gunzip = createGunzip();
    const chunks: Buffer[] = [];
    let total = 0;
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      gunzip.destroy();
      reject(err);
    };
    gunzip.on('data', (chunk: Buffer) => {
      if (failed) return;
      total += chunk.length;
      if (total > maxOutput) return fail(tooLarge());
      try {
        charge(chunk.length);
      } catch (err) {
        return fail(err);
      }
      chunks.push(chunk);
    });
    gunzip.on('error', fail);
    gunzip.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
    });
    gunzip.end(data);
  });
}
