import { describeBrowserScenario } from '@audit-trail/example-webauthn-page/testing';
import { startExample } from '../src/start.js';

describeBrowserScenario({ framework: 'Express', start: startExample });
