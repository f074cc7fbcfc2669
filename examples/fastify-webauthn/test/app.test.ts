import { describeServiceScenarios } from '@audit-trail/example-webauthn-page/testing';
import { startExample } from '../src/start.js';

describeServiceScenarios({ framework: 'Fastify', start: startExample });
