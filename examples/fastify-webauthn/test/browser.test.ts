import { describeBrowserScenario } from '@audit-trail/example-webauthn-page/testing';
import { expect } from 'vitest';
import { startExample } from '../src/start.js';

describeBrowserScenario({
  framework: 'Fastify',
  start: startExample,
  // Fastify adds its request id as correlation.request_id.
  checkEvents: (events) => expect(events.every((e) => typeof e.correlation?.request_id === 'string')).toBe(true),
});
