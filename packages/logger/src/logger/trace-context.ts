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

/** The W3C trace id (32 lowercase hex) of the active span, if OpenTelemetry is installed and a valid span is active. */
export function activeTraceId(): string | undefined {
  const o = otel();
  const span = o?.trace.getActiveSpan();
  if (!span) return undefined;
  const ctx = span.spanContext();
  return o!.trace.isSpanContextValid(ctx) ? ctx.traceId : undefined;
}
