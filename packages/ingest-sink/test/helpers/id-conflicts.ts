import { expect } from 'vitest';
import type { Sink } from '../../src/index.js';
import { chainEvent, makeEvent } from './events.js';

/** What a test's database holds after the scenario. */
export interface StoredState {
  /** event_id of every stored event. */
  ids: string[];
  rejects: { source: string; reason: string; raw_payload: string }[];
}

const reversed = (e: Record<string, unknown>) => JSON.stringify(Object.fromEntries(Object.entries(e).reverse()));
const reason = (id: unknown) => `EVENT_ID_CONFLICT: event_id=${String(id)} is already stored with other content; this event was not stored (a reused id, or a forged or replayed record)`;

/**
 * The event_id rules every dialect keeps, run through `sink`: an event_id
 * that arrives again holding the same event (same text; members in another
 * order; other spacing; pino's transport fields around it) is a duplicate,
 * and holding another event it is an EVENT_ID_CONFLICT reject with its own
 * line and source (across batches and inside one, never a chain position
 * conflict even when it claims the stored one's position); resent, that
 * reject is not stored twice. `read` returns what the database holds.
 */
export async function checkEventIdConflicts(sink: Sink, read: () => Promise<StoredState>): Promise<void> {
  const chain = makeEvent().event_id as string;
  const original = makeEvent({ user_id: 'alice' });
  const chained = chainEvent(chain, 1);
  await sink.write([original, chained]);
  await sink.flush();

  const fresh = makeEvent({ user_id: 'bob' });
  const reused = { ...original, user_id: 'mallory' };
  await sink.write([
    reversed(original),
    JSON.stringify({ level: 30, time: 1764979200000, pid: 7, hostname: 'other-host', msg: 'again', ...original }),
    JSON.stringify(chained, null, 2),
    { line: JSON.stringify(reused), source: 'forward:mallory' },
    { ...chained, user_id: 'eve' },
    fresh,
    { ...fresh, user_id: 'trudy' },
    reversed(fresh),
  ]);
  await sink.flush();

  let state = await read();
  expect(state.ids.sort()).toEqual([original.event_id, chained.event_id, fresh.event_id].sort());
  expect(state.rejects.map((r) => [JSON.parse(r.raw_payload).user_id, r.reason]).sort()).toEqual(
    [
      ['eve', reason(chained.event_id)],
      ['mallory', reason(original.event_id)],
      ['trudy', reason(fresh.event_id)],
    ].sort(),
  );
  const mallory = state.rejects.find((r) => JSON.parse(r.raw_payload).user_id === 'mallory')!;
  expect(mallory).toMatchObject({ source: 'forward:mallory', raw_payload: JSON.stringify(reused) });
  expect(sink.stats()).toMatchObject({ committed: 3, duplicates: 4, rejected: 3, eventIdConflicts: 3, chainConflicts: 0 });

  // Resent (a Fluentd retry): found again, not stored again.
  await sink.write({ line: JSON.stringify(reused), source: 'forward:mallory' });
  await sink.flush();
  state = await read();
  expect(state.rejects).toHaveLength(3);
  expect(sink.stats()).toMatchObject({ rejected: 3, duplicateRejects: 1, eventIdConflicts: 4 });
}
