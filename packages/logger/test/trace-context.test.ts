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
