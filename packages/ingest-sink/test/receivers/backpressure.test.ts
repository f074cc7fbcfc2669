import { describe, expect, it } from 'vitest';
import { startAggregator } from '../../src/receivers/aggregator.js';
import { makeLine } from './helpers/events.js';
import { dockerMessage, dockerRecord } from './helpers/frames.js';
import { RawClient } from './helpers/raw-client.js';
import { RecordingSink } from './helpers/recording-sink.js';

/** A recording sink whose backlog (durable, not yet committed) the test sets; unit test of the admission rule only. */
class BacklogSink extends RecordingSink {
  spooledEvents = 0;
  stats() {
    return { spooledEvents: this.spooledEvents };
  }
}

describe('backpressure from the sink backlog', () => {
  it('stops storing (and acking) while the sink backlog is over maxBacklog, and resumes when it drains', async () => {
    const sink = new BacklogSink();
    sink.spooledEvents = 50;
    const agg = await startAggregator({ sink, forward: { port: 0 }, maxBacklog: 10 });
    const c = await RawClient.open(agg.forward.port);
    c.socket.write(dockerMessage('t', 1, dockerRecord(makeLine(1)), 'held'));
    for (let i = 0; i < 200 && agg.counters.forward.requests === 0; i++) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    expect(agg.counters.forward.requests).toBe(1);
    expect(sink.writes).toBe(0);
    expect(c.received.length).toBe(0);
    sink.spooledEvents = 0;
    expect((await c.waitFor(9)).toString('latin1')).toContain('held');
    expect(sink.writes).toBe(1);
    c.socket.end();
    await agg.close();
  });
});
