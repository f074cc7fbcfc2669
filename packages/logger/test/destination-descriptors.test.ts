import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditConfigError, createAuditLogger } from '../src/index.js';
import { tmpDir } from './helpers.js';

const start = { container: { id: 'abcdefabcdef' } };

// pino.destination() reads any string that Number() turns into a finite
// number as a file descriptor, and takes a falsy one (0, NaN) for stdout.
// A path such as "18" wrote the audit lines into whatever the process had
// open as descriptor 18 (and close() then closed it); 0 and NaN wrote to
// stdout; -1 or 1.5 failed only later, asynchronously (found by a probe).
describe('destination: descriptors and paths that look like numbers', () => {
  let cwd: string;
  let dir: string;
  beforeEach(() => {
    cwd = process.cwd();
    dir = tmpDir();
    process.chdir(dir);
  });
  afterEach(() => process.chdir(cwd));

  it('a path made of digits is a file of that name, not the descriptor of that number', async () => {
    const other = openSync(join(dir, 'other.txt'), 'a');
    try {
      const log = createAuditLogger({ service: 'api', runtime: false, destination: String(other) });
      log.containerStart(start);
      await log.close();
      expect(readFileSync(join(dir, 'other.txt'), 'utf8')).toBe('');
      expect(readFileSync(join(dir, String(other)), 'utf8')).toContain('"CONTAINER_START"');
    } finally {
      closeSync(other);
    }
  });

  it.each(['0x1', '1e1', ' 2 '])('the path %j is a file of that name', async (name) => {
    const log = createAuditLogger({ service: 'api', runtime: false, destination: name });
    log.containerStart(start);
    await log.close();
    expect(existsSync(join(dir, name))).toBe(true);
    expect(readFileSync(join(dir, name), 'utf8')).toContain('"CONTAINER_START"');
  });

  it.each([' ', '\t\n'])('a path of white space only (%j) is refused like an empty one', (name) => {
    expect(() => createAuditLogger({ service: 'api', runtime: false, destination: name })).toThrow(AuditConfigError);
  });

  it.each([0, Number.NaN, -1, 1.5, 2 ** 40, Infinity])('the descriptor %s is refused with AuditConfigError', (fd) => {
    expect(() => createAuditLogger({ service: 'api', runtime: false, destination: fd })).toThrow(AuditConfigError);
  });

  it('a descriptor that is not open is refused with AuditConfigError naming it', () => {
    const fd = openSync(join(dir, 'closed.txt'), 'a');
    closeSync(fd);
    expect(() => createAuditLogger({ service: 'api', runtime: false, destination: fd })).toThrow(new RegExp(`descriptor ${fd}.*EBADF`));
  });

  it('an open descriptor is written to', async () => {
    const fd = openSync(join(dir, 'fd.ndjson'), 'a');
    const log = createAuditLogger({ service: 'api', runtime: false, destination: fd });
    log.containerStart(start);
    await log.close();
    expect(readFileSync(join(dir, 'fd.ndjson'), 'utf8')).toContain('"CONTAINER_START"');
  });
});
