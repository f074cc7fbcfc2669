/**
 * `container.id` is optional on CONTAINER_* events: a Kubernetes API server
 * audit event names the namespace, pod and container, never the runtime's
 * container id (kubernetes/kubernetes
 * staging/src/k8s.io/apiserver/pkg/apis/audit/v1/types.go, ObjectReference).
 * Checked here: the zod schema and the published JSON Schema accept such an
 * event, and the `container_id` column does not take another container's id
 * in its place.
 */
import { createRequire } from 'node:module';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { CONTAINER_EVENT_TYPES, exampleEvents, INSERT_COLUMNS, parseAuditEvent, toRow, type AuditEvent } from '../src/index.js';

const require = createRequire(import.meta.url);
const ajv = new Ajv2020({ strict: true });
addFormats.default(ajv);
const validate = ajv.compile(require('../json-schema/audit-event.json') as object);

/** The example of `type` without container.id, placed in a Kubernetes pod. */
function withoutId(type: (typeof CONTAINER_EVENT_TYPES)[number]): Record<string, unknown> {
  const { id: _id, ...container } = exampleEvents[type].container;
  return { ...exampleEvents[type], container, runtime: { k8s_namespace: 'shop', k8s_pod: 'cart-5d8f7c9b4-x2x7q', k8s_container: 'app' } };
}

const CONTAINER_ID = INSERT_COLUMNS.findIndex((c) => c.name === 'container_id');
const containerIdColumn = (e: AuditEvent, meta: Record<string, string> = {}) => toRow(e, { raw: JSON.stringify(e), ...meta })[CONTAINER_ID];
/** The transport of a collector: the Docker driver's container_id is the collector's own container. */
const COLLECTOR = { source_tag: 'k8s.audit', container_id: 'c011ec7012' + '0'.repeat(54) };

describe('container.id is optional', () => {
  it.each(CONTAINER_EVENT_TYPES.map((t) => [t]))('%s without container.id is valid for zod and for the JSON Schema; one present is still checked', (type) => {
    const input = withoutId(type);
    expect(parseAuditEvent(input)).toMatchObject({ ok: true });
    expect(validate(input), JSON.stringify(validate.errors)).toBe(true);
    // 12 to 64 lowercase hex characters when given.
    const bad = { ...input, container: { ...(input.container as object), id: 'Not-An-Id' } };
    expect(parseAuditEvent(bad)).toMatchObject({ ok: false, issues: [{ path: 'container.id' }] });
    expect(validate(bad)).toBe(false);
  });

  it('CONTAINER_EXEC takes impersonated_user_id, an identifier like user_id', () => {
    const input = { ...withoutId('CONTAINER_EXEC'), impersonated_user_id: 'system:serviceaccount:shop:deployer' };
    expect(parseAuditEvent(input)).toMatchObject({ ok: true, event: { impersonated_user_id: 'system:serviceaccount:shop:deployer' } });
    expect(validate(input)).toBe(true);
    expect(parseAuditEvent({ ...input, impersonated_user_id: 'root\nadmin' })).toMatchObject({ ok: false, issues: [{ path: 'impersonated_user_id' }] });
  });
});

describe('the container_id column of a container event without container.id', () => {
  const parsed = (input: Record<string, unknown>) => {
    const r = parseAuditEvent(input);
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    return r.event;
  };

  it('stays NULL rather than take the id of the container the record came from (the collector); runtime.container_id, the same container, serves', () => {
    expect(containerIdColumn(parsed(withoutId('CONTAINER_EXEC')), COLLECTOR)).toBeNull();
    const e = parsed({ ...withoutId('CONTAINER_START'), runtime: { container_id: 'ab12'.repeat(16) } });
    expect(containerIdColumn(e, COLLECTOR)).toBe('ab12'.repeat(16));
    // Unchanged: container.id when present; for other events, the transport (the producer's container).
    expect(containerIdColumn(exampleEvents.CONTAINER_EXEC as AuditEvent, COLLECTOR)).toBe(exampleEvents.CONTAINER_EXEC.container.id);
    const auth = { ...exampleEvents.WEBAUTHN_AUTH_SUCCESS, runtime: { host: 'node-a' } } as AuditEvent;
    expect(containerIdColumn(auth, COLLECTOR)).toBe(COLLECTOR.container_id);
  });
});
