/**
 * The `Json` namespace (types compiled from the JSON Schema) agrees with the
 * zod-inferred types: checked by the compiler (`tsc`) and by vitest's expectTypeOf.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { exampleEvents, parseAuditEvent, type AuditEvent, type Json } from '../src/index.js';

describe('Json types', () => {
  it('accept every validated event, and name each event type', () => {
    expectTypeOf<AuditEvent>().toExtend<Json.AuditEvent>();
    expectTypeOf(exampleEvents.WEBAUTHN_AUTH_FAILURE).toExtend<Json.WebauthnAuthFailure>();
    expectTypeOf<Json.WebauthnAuthFailure['event_type']>().toEqualTypeOf<'WEBAUTHN_AUTH_FAILURE'>();
    expectTypeOf<Json.ContainerExec['process']['command_line']>().toEqualTypeOf<string>();
    // additionalProperties: false is honoured: no index signature lets unknown keys in.
    expectTypeOf<{ extra: 1 } extends Partial<Json.WebauthnAuthFailure> ? true : false>().toEqualTypeOf<false>();
    const parsed = parseAuditEvent(exampleEvents.CONTAINER_EXEC);
    const asJson: Json.AuditEvent | undefined = parsed.ok ? parsed.event : undefined;
    expect(asJson?.event_type).toBe('CONTAINER_EXEC');
  });
});
