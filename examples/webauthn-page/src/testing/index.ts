/**
 * Test scenarios shared by the Express and Fastify examples. Each example's
 * own test files call these with its own `startExample`, so both apps pass
 * the same checks. Needs vitest, Debian's chromium and playwright-core; import
 * `@audit-trail/example-webauthn-page/testing` from tests only.
 */
export { describeBrowserScenario, type BrowserExampleUnderTest } from './browser-scenario.js';
export { describeServiceScenarios, type ExampleUnderTest } from './service-scenarios.js';
