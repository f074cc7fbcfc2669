// A container lifecycle event's action belongs to its type: create, start,
// restart to CONTAINER_START; die, stop, kill, destroy, oom to
// CONTAINER_STOP. The refusals' messages are in parse.test.ts.
import { describe, expect, it } from 'vitest';
import { exampleEvents } from '../examples.js';
import { parseAuditEvent } from '../parse.js';
import { lifecycleDetailSchema, START_ACTIONS, STOP_ACTIONS } from './container.js';

describe('container lifecycle actions', () => {
  it('splits every action between CONTAINER_START and CONTAINER_STOP, none in both, none lost', () => {
    expect([...START_ACTIONS, ...STOP_ACTIONS].sort()).toEqual([...lifecycleDetailSchema.shape.action.options].sort());
    expect(START_ACTIONS.filter((a) => (STOP_ACTIONS as readonly string[]).includes(a))).toEqual([]);
  });

  it('accepts each action in its own event type only', () => {
    for (const [type, own, other] of [
      ['CONTAINER_START', START_ACTIONS, STOP_ACTIONS],
      ['CONTAINER_STOP', STOP_ACTIONS, START_ACTIONS],
    ] as const) {
      for (const action of [...own, ...other]) {
        const e = structuredClone(exampleEvents[type]) as { lifecycle: { action: string } };
        e.lifecycle.action = action;
        expect([type, action, parseAuditEvent(e).ok]).toEqual([type, action, (own as readonly string[]).includes(action)]);
      }
    }
  });
});
