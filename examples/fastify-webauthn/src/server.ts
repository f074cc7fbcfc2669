/** What `npm start` runs: audit lines on stdout, everything else on stderr (see the shared runner). */
import { runExampleFromEnv } from '@audit-trail/example-webauthn-page';
import { startExample } from './start.js';

await runExampleFromEnv('fastify-webauthn', startExample);
