/**
 * The framework-free half of the Express and Fastify passkey examples: the
 * page and its headers, settings from the environment, listen-then-mount,
 * and the `npm start` runner. Each example adds only its framework wiring.
 */
export { routeOptions, type ExampleAppOptions, type ExampleRouteOptions } from './app-options.js';
export { loadAssets, SECURITY_HEADERS, type Asset } from './assets.js';
export { configFromEnv, ExampleConfigError, type ServerConfig } from './config.js';
export { runExampleFromEnv } from './run.js';
export { startWith, type MountApp, type RunningExample, type StartExample, type StartOptions } from './start.js';
