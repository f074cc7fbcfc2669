import { describeBrowserScenario } from '@audit-trail/example-webauthn-page/testing';
import { expect } from 'vitest';
import { startExample } from '../src/start.js';

describeBrowserScenario({
  framework: 'Express',
  start: startExample,
  // The router gives each request an id (a UUID here: no logging middleware sets req.id), as Fastify does.
  checkEvents: (events) => {
    const ids = events.map((e) => e.correlation?.request_id);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(ids).size).toBe(ids.length);
  },
});
