// Child of bench/spool-replay-memory.ts: writes events of ~2.4 KB (a long user agent) with the
// database down until the spool holds the MiB asked for, then exits without close(), as a process
// stopped during an outage leaves its spool (close would wait for delivery, and keep the lock).
import { completeEvent } from '@audit-trail/schema';
import { createSink } from '@audit-trail/ingest-sink';

const [dir, url, mib] = process.argv.slice(2);
const sink = createSink({ url: url!, migrate: false, checkIntervalMs: 0, spool: { dir: dir!, fsync: 'off', maxBytes: 64 * 1024 ** 3 }, onError: () => undefined });
await sink.ready;
const agent = 'Mozilla/5.0 '.repeat(160);
while (sink.stats().spooledBytes < Number(mib) * 1024 * 1024) {
  const events = Array.from({ length: 500 }, (_, i) =>
    completeEvent({ event_type: 'WEBAUTHN_AUTH_FAILURE', user_id: `u-${i}`, client_ip: '192.0.2.10', user_agent: agent, error: { code: 'SIGNATURE_INVALID', message: 'assertion signature did not verify' }, webauthn: { failure_stage: 'signature' } }, { producer: { service: 'bench' } }),
  );
  await sink.write(events);
}
console.log(`${sink.stats().spooledEvents} events`);
process.exit(0);
