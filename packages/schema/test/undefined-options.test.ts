import { describe, expect, it } from 'vitest';
import {
  completeEvent,
  createTableStatements,
  DIALECTS,
  INSERT_COLUMNS,
  migrationPlan,
  parseAuditEvent,
  toRow,
  type AuditEvent,
  type DdlOptions,
  type EventContext,
  type TransportMeta,
} from '../src/index.js';

/**
 * The input types accept `undefined` on every optional property (for
 * `exactOptionalPropertyTypes` users writing `babelfish: cfg.babelfish`),
 * which promises that undefined is the same as leaving the key out. Each
 * list is checked against its type, so a key added later must join it.
 */
const DDL_UNDEFINED = { babelfish: undefined } satisfies Record<keyof DdlOptions, undefined>;
const META_UNDEFINED = {
  source_tag: undefined,
  swarm_node: undefined,
  swarm_service: undefined,
  swarm_task_id: undefined,
  k8s_namespace: undefined,
  k8s_pod: undefined,
  k8s_node: undefined,
  syslog_host: undefined,
  container_id: undefined,
  container_name: undefined,
} satisfies Record<Exclude<keyof TransportMeta, 'raw'>, undefined>;

describe('an option given as undefined is an option not given', () => {
  it('DdlOptions: babelfish undefined gives each dialect\'s default DDL and migration plan', () => {
    for (const dialect of DIALECTS) {
      expect(createTableStatements(dialect, DDL_UNDEFINED), dialect).toEqual(createTableStatements(dialect));
      expect(migrationPlan(dialect, DDL_UNDEFINED), dialect).toEqual(migrationPlan(dialect));
    }
  });

  it('TransportMeta: fields undefined give the row of a meta without them', () => {
    const event = parseAuditEvent(completeEvent({ event_type: 'CONTAINER_EXEC', container: { id: '0123456789ab' }, process: { command_line: 'sh' } }, { producer: { service: 'api' } }));
    if (!event.ok) throw new Error(JSON.stringify(event.issues));
    const raw = JSON.stringify(event.event);
    expect(toRow(event.event as AuditEvent, { raw, ...META_UNDEFINED })).toEqual(toRow(event.event as AuditEvent, { raw }));
    expect(INSERT_COLUMNS.length).toBeGreaterThan(0);
  });

  it('EventContext: producer and runtime fields undefined complete an event equal to one without them', () => {
    const draft = { event_type: 'CONTAINER_EXEC' as const, event_id: undefined, container: { id: '0123456789ab' }, process: { command_line: 'sh' } };
    const at = new Date('2026-01-01T00:00:00Z');
    const given: EventContext = { producer: { service: 'api' }, now: () => at };
    const unset: EventContext = { producer: { service: 'api', version: undefined, sdk_version: undefined, instance: undefined }, runtime: undefined, now: () => at };
    // JSON, as every consumer stores it: the event id is random.
    const text = (ctx: EventContext) => {
      const parsed = parseAuditEvent(completeEvent(draft, ctx));
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
      return JSON.stringify({ ...parsed.event, event_id: '-' });
    };
    expect(text(unset)).toBe(text(given));
    expect(text({ ...given, runtime: { host: undefined, k8s_pod: 'api-0' } })).toBe(text({ ...given, runtime: { k8s_pod: 'api-0' } }));
  });
});
