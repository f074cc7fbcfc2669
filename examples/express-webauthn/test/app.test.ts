import { describeServiceScenarios } from '@audit-trail/example-webauthn-page/testing';
import { startExample } from '../src/start.js';

describeServiceScenarios({ framework: 'Express', start: startExample });
