import { AsyncLocalStorage } from 'node:async_hooks';
import { join } from 'node:path';
import { context, ROOT_CONTEXT, trace, type Context, type ContextManager } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLogger } from '../src/index.js';
import { authFailure, tmpDir } from './helpers.js';

/** The smallest real context manager (what @opentelemetry/context-async-hooks does, on AsyncLocalStorage). */
class AlsContextManager implements ContextManager {
  private als = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.als.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.als.run(ctx, () => fn.call(thisArg, ...args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    return this;
  }
}

const TRACE = '0af7651916cd43dd8448eb211c80319c';

describe('trace_id from the active OpenTelemetry span', () => {
  beforeAll(() => context.setGlobalContextManager(new AlsContextManager()));
  afterAll(() => context.disable());

  it('uses the active span trace id, unless one is bound', () => {
    const log = createAuditLogger({ service: 'api', runtime: false, destination: join(tmpDir(), 'a.ndjson') });
    const span = trace.wrapSpanContext({ traceId: TRACE, spanId: 'b7ad6b7169203331', traceFlags: 1 });
    const inSpan = context.with(trace.setSpan(context.active(), span), () => log.webauthnAuthFailure(authFailure()));
    expect(inSpan.correlation?.trace_id).toBe(TRACE);
    expect(log.webauthnAuthFailure(authFailure()).correlation).toBeUndefined();
    const bound = log.child({ correlation: { trace_id: 'ffffffffffffffffffffffffffffffff' } });
    const kept = context.with(trace.setSpan(context.active(), span), () => bound.webauthnAuthFailure(authFailure()));
    expect(kept.correlation?.trace_id).toBe('ffffffffffffffffffffffffffffffff');
  });
});

describe('trace_id in upper case', () => {
  beforeAll(() => context.setGlobalContextManager(new AlsContextManager()));
  afterAll(() => context.disable());

  it('is written in lower case: an upper-case B3 header no longer makes emit() throw and write nothing', () => {
    const lines: string[] = [];
    const log = createAuditLogger({ service: 'api', runtime: false, destination: { write: (l: string) => lines.push(l) } });
    // What the B3 and Jaeger propagators extract from `X-B3-TraceId: 0AF7…` (isSpanContextValid accepts it).
    const span = trace.wrapSpanContext({ traceId: TRACE.toUpperCase(), spanId: 'b7ad6b7169203331', traceFlags: 1 });
    const ev = context.with(trace.setSpan(context.active(), span), () => log.webauthnAuthFailure(authFailure()));
    expect(ev.event_type).toBe('WEBAUTHN_AUTH_FAILURE');
    expect(ev.correlation?.trace_id).toBe(TRACE);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!).correlation.trace_id).toBe(TRACE);
  });
});
