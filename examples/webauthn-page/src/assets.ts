import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A static file served by both examples: body and content type, read once at start. */
export interface Asset {
  type: string;
  body: Buffer;
}

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The UMD bundle of @simplewebauthn/browser. Its exports map has no
 * "./package.json", so the package root is found from its CommonJS entry
 * (<root>/script/index.js) instead.
 */
function browserBundlePath(): string {
  const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
  return join(dirname(dirname(entry)), 'dist', 'bundle', 'index.umd.min.js');
}

/** The page, its script and style, and the WebAuthn browser library, keyed by URL path. */
export function loadAssets(): Map<string, Asset> {
  const pub = join(here, '..', 'public');
  const files: Array<[string, string, string]> = [
    ['/', join(pub, 'index.html'), 'text/html; charset=utf-8'],
    ['/app.js', join(pub, 'app.js'), 'text/javascript; charset=utf-8'],
    ['/style.css', join(pub, 'style.css'), 'text/css; charset=utf-8'],
    ['/vendor/simplewebauthn-browser.umd.min.js', browserBundlePath(), 'text/javascript; charset=utf-8'],
  ];
  return new Map(files.map(([path, file, type]) => [path, { type, body: readFileSync(file) }]));
}

/** Headers for every page response: no inline script, no framing, no sniffing. */
export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};
