import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AuditConfigError, createAuditLogger } from '../src/index.js';

function sink() {
  const lines: Record<string, any>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  return { lines, stream };
}

// The README: redact paths "are removed from every valid event". They were
// applied to the draft only, and the logger then added producer and runtime
// from its options and environment, so `redact: ['producer.instance']` or
// `['runtime.host']` left the host name in every event, valid ones and
// violation records alike, without a word (found by a probe).
describe('redact paths reach the producer and runtime the logger adds', () => {
  it.each([
    [['producer.instance'], 'producer', 'instance'],
    [['runtime.host'], 'runtime', 'host'],
    [['runtime.*'], 'runtime', 'k8s_pod'],
  ])('%j: absent from valid events and violation records', (paths, top, leaf) => {
    const { lines, stream } = sink();
    const log = createAuditLogger({ service: 'api', instance: 'web-7', runtime: { host: 'node-7', k8s_pod: 'pod-1' }, destination: stream, redact: paths });
    log.containerStart({ container: { id: 'abcdefabcdef' } });
    log.emit({ event_type: 'CONTAINER_START', container: { id: 'not-hex' } } as never);
    expect(lines.map((l) => l.event_type)).toEqual(['CONTAINER_START', 'AUDIT_SCHEMA_VIOLATION']);
    for (const l of lines) expect(l[top]?.[leaf]).toBeUndefined();
    expect(lines[0]!.producer.service).toBe('api');
  });

  it('a path that would remove producer.service, which every event needs, is an AuditConfigError at creation', () => {
    expect(() => createAuditLogger({ service: 'api', destination: sink().stream, redact: ['producer.service'] })).toThrow(AuditConfigError);
    expect(() => createAuditLogger({ service: 'api', destination: sink().stream, redact: ['producer'] })).toThrow(/redact/);
  });
});
