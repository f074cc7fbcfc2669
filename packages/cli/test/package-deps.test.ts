// The CLI is what the Docker image runs (Dockerfile: npm prune --omit=dev),
// so every driver the sink may load must be one of its own dependencies:
// the sink declares them as optional peers, which a pruned install drops.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const manifest = (pkg: string) => JSON.parse(readFileSync(join(import.meta.dirname, '../..', pkg, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;

describe('the CLI package (the server image)', () => {
  it('depends on every optional driver peer of @audit-trail/ingest-sink, at the range the sink accepts', () => {
    const sink = manifest('ingest-sink');
    const cli = manifest('cli');
    const peers = Object.keys(sink.peerDependencies ?? {});
    expect(peers).toEqual(expect.arrayContaining(['better-sqlite3', 'pg', 'pg-copy-streams', 'mssql']));
    for (const p of peers) expect(cli.dependencies?.[p], p).toBe(sink.peerDependencies![p]);
  });
});
