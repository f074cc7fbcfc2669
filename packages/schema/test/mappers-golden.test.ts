/**
 * Golden files for the OCSF and ECS mappers: test/golden/{ocsf,ecs}/<type>.json
 * hold the mapping of each example event. A changed mapping fails here; after
 * reviewing the diff, refresh the files with
 *
 *   UPDATE_GOLDEN=1 npx vitest run packages/schema/test/mappers-golden.test.ts
 *
 * (an update run still fails, so a refresh can never pass CI by accident).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, exampleEvents, toEcs, toOcsf, type AuditEvent } from '../src/index.js';
import { kebab } from '../src/mappers/common.js';

const GOLDEN = join(import.meta.dirname, 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const MAPPERS = { ocsf: toOcsf, ecs: toEcs } as const;

async function golden(kind: keyof typeof MAPPERS, type: string, actual: unknown): Promise<void> {
  const file = join(GOLDEN, kind, `${kebab(type)}.json`);
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  if (UPDATE) {
    await mkdir(join(GOLDEN, kind), { recursive: true });
    await writeFile(file, text);
    throw new Error(`golden file ${kind}/${kebab(type)}.json rewritten (UPDATE_GOLDEN=1); rerun without it`);
  }
  const committed = await readFile(file, 'utf8').catch(() => {
    throw new Error(`missing golden file ${file}; create it with UPDATE_GOLDEN=1`);
  });
  expect(text).toBe(committed);
}

describe.each(Object.keys(MAPPERS) as (keyof typeof MAPPERS)[])('%s mapper', (kind) => {
  it.each(EVENT_TYPES.map((t) => [t]))('maps %s as in its golden file', async (type) => {
    await golden(kind, type, MAPPERS[kind](exampleEvents[type]));
  });

  it('is pure: same input, same output, input untouched', () => {
    for (const e of Object.values(exampleEvents) as AuditEvent[]) {
      const before = structuredClone(e);
      expect(MAPPERS[kind](e)).toEqual(MAPPERS[kind](e));
      expect(e).toEqual(before);
    }
  });
});

describe('mapping facts', () => {
  it('uses the OCSF classes of the issue, with type_uid = class_uid * 100 + activity_id', () => {
    const uid = (t: keyof typeof exampleEvents) => toOcsf(exampleEvents[t]).type_uid;
    expect(uid('WEBAUTHN_AUTH_FAILURE')).toBe(300201);
    expect(uid('WEBAUTHN_AUTH_SUCCESS')).toBe(300201);
    expect(uid('WEBAUTHN_REG_SUCCESS')).toBe(300110);
    expect(uid('CONTAINER_EXEC')).toBe(100701);
    expect(uid('CONTAINER_START')).toBe(600203);
    expect(uid('CONTAINER_STOP')).toBe(600204);
    expect(uid('CONTAINER_PRIVILEGED')).toBe(200401);
    for (const e of Object.values(exampleEvents) as AuditEvent[]) {
      const o = toOcsf(e);
      expect(o.type_uid).toBe(o.class_uid * 100 + o.activity_id);
      expect(o.metadata.uid).toBe(e.event_id);
      expect(o.time).toBe(Date.parse(e.event_time));
    }
  });

  it('puts status, user and source where OCSF and ECS expect them', () => {
    const e = exampleEvents.WEBAUTHN_AUTH_FAILURE;
    expect(toOcsf(e)).toMatchObject({ status_id: 2, status_code: e.error.code, user: { uid: e.user_id }, src_endpoint: { ip: e.client_ip } });
    expect(toEcs(e)).toMatchObject({
      // ECS event.code identifies the kind of event (ecs_flat.yml, "Windows
      // Event ID"); the failure's code is error.code.
      event: { outcome: 'failure', category: ['authentication'], action: 'webauthn-auth-failure', code: e.event_type },
      error: { code: e.error.code },
      user: { id: e.user_id },
      source: { ip: e.client_ip },
      user_agent: { original: e.user_agent },
    });
  });

  it('splits the image reference and keeps privileged in ECS security_context', () => {
    const ecs = toEcs(exampleEvents.CONTAINER_PRIVILEGED);
    expect(ecs.container).toMatchObject({
      image: { name: 'registry.example.com/payments-api', tag: ['1.8.2'] },
      security_context: { privileged: true },
    });
    expect(ecs.event.kind).toBe('alert');
  });

  it('omits absent fields instead of writing null or empty objects', () => {
    const minimal = { ...exampleEvents.CONTAINER_START, runtime: undefined, correlation: undefined, detector: undefined };
    for (const out of [toOcsf(minimal), toEcs(minimal)]) {
      const text = JSON.stringify(out);
      expect(text).not.toMatch(/null|\{\}|\[\]/);
    }
  });
});
