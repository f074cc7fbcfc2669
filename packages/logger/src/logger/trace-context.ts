import { createRequire } from 'node:module';

interface SpanContextLike {
  traceId: string;
  spanId: string;
  traceFlags: number;
}
interface OtelApiLike {
  trace: {
    getActiveSpan(): { spanContext(): SpanContextLike } | undefined;
    isSpanContextValid(ctx: SpanContextLike): boolean;
  };
}

let api: OtelApiLike | null | undefined;

/**
 * `@opentelemetry/api` when the application has it installed, else null.
 * Loaded lazily and optionally (an optional peer dependency): the API keeps
 * its state on a global symbol, so this copy sees the app's tracer provider
 * and context manager whether the app imported it as ESM or CJS.
 */
function otel(): OtelApiLike | null {
  if (api === undefined) {
    try {
      api = createRequire(import.meta.url)('@opentelemetry/api') as OtelApiLike;
    } catch {
      api = null;
    }
  }
  return api;
}

const HEX_TRACE_ID = /^[0-9a-fA-F]{32}$/;

/**
 * The W3C trace id (32 lowercase hex) of the active span, if OpenTelemetry
 * is installed and a valid span is active. Written in lower case: the API's
 * `isSpanContextValid` takes upper-case hex too (@opentelemetry/api 1.10
 * `isValidHex`), and so do the B3 and Jaeger propagators when they extract a
 * request's header, but the schema's `correlation.trace_id` is W3C Trace
 * Context's lowercase form (§3.2.2.3). An `X-B3-TraceId` in upper case made
 * the event and its violation record invalid: emit() threw and wrote
 * nothing (found by a probe).
 */
export function activeTraceId(): string | undefined {
  const o = otel();
  const span = o?.trace.getActiveSpan();
  if (!span) return undefined;
  const ctx = span.spanContext();
  if (!o!.trace.isSpanContextValid(ctx) || typeof ctx.traceId !== 'string' || !HEX_TRACE_ID.test(ctx.traceId)) return undefined;
  return ctx.traceId.toLowerCase();
}
