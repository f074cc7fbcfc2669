import { parseAuditEvent, type EventOf } from '@audit-trail/schema';
import { expect } from 'vitest';
import { classifyLine, type Normalized } from '../../../src/normalize/classify-line.js';
import { compileTagPatterns } from '../../../src/normalize/tag-patterns.js';
import { line } from './k8s-audit-events.js';

/** The tag the Kubernetes audit tests send under, trusted for container events. */
export const TAG = 'k8s.audit';
export const trusted = compileTagPatterns([TAG]);

/** Classifies one audit log line as Fluent Bit's tail input sends it (`log`), under `tag`. */
export function classify(text: string, tag = TAG): Normalized {
  return classifyLine(text, { source_tag: tag }, 'test', trusted);
}

/** The stored event a line maps to, as the sink will parse it (control characters escaped). */
export function mapped(event: Record<string, unknown>): EventOf<'CONTAINER_EXEC'> {
  const out = classify(line(event));
  expect(out).toMatchObject({ kind: 'sink', container: true });
  const item = (out as { item: { line: string; reject?: string } }).item;
  expect(item.reject).toBeUndefined();
  const parsed = parseAuditEvent(item.line);
  if (!parsed.ok) throw new Error(`not a valid event: ${JSON.stringify(parsed.issues)}`);
  expect(parsed.event.event_type).toBe('CONTAINER_EXEC');
  return parsed.event as EventOf<'CONTAINER_EXEC'>;
}

/** The reject a line becomes: kept as it arrived, with why. */
export function rejected(text: string): string {
  const out = classify(text);
  expect(out).toMatchObject({ kind: 'sink', item: { line: text } });
  return (out as { item: { reject: string } }).item.reject;
}
