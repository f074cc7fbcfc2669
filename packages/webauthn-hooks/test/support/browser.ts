import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type CDPSession, type Page } from 'playwright-core';

/** Debian's chromium (`apt-get install chromium`); Playwright's own download cannot run here. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// No network, no background services: the run must not depend on anything but loopback.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A headless chromium with a fresh profile and a CDP virtual authenticator on one page. */
export interface PasskeyBrowser {
  context: BrowserContext;
  page: Page;
  cdp: CDPSession;
  authenticatorId: string;
  close(): Promise<void>;
}

/**
 * Launches chromium. A missing binary is an error, never a skip: the browser
 * tests are part of the suite (CI installs chromium from Debian).
 */
export async function launchPasskeyBrowser(): Promise<PasskeyBrowser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`chromium not found at ${CHROMIUM_PATH}: run "apt-get install chromium" or set CHROMIUM_PATH`);
  }
  const profile = await mkdtemp(join(tmpdir(), 'at-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const cdp = await context.newCDPSession(page);
    // CDP WebAuthn domain (experimental, Chromium only): a platform authenticator
    // with resident keys and user verification that answers without UI.
    await cdp.send('WebAuthn.enable', { enableUI: false });
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        ctap2Version: 'ctap2_1',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    return {
      context,
      page,
      cdp,
      authenticatorId,
      close: async () => {
        await context.close();
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await context.close();
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
}

/** Clicks a button of the example page and waits until the status shows a final result; returns it. */
export async function clickAndWait(page: Page, button: '#register' | '#signin'): Promise<string> {
  // Page code runs in the browser; it is typed structurally (no DOM lib in this tsconfig).
  await page.locator('#status').evaluate((el: { dataset: Record<string, string> }) => {
    el.dataset.result = 'pending';
  });
  await page.click(button);
  await page.locator('#status:not([data-result="pending"])').waitFor({ timeout: 20_000 });
  return (await page.getAttribute('#status', 'data-result')) ?? '';
}
