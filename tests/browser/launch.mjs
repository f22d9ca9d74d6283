// Debian's headless Chromium as every browser test starts it: WebGL by SwiftShader (the map
// draws without a GPU), nothing fetched in the background.
import { chromium } from 'playwright-core';
import { probe } from './probe.mjs';
import { watchCsp } from './csp.mjs';

/** The browser, launched. */
export const launch = () => chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--enable-unsafe-swiftshader', '--use-angle=swiftshader', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

/** The desk at 1440×900 signed in as `name` (password `name`-Password1): its context, its page
 * and the page errors and CSP violations seen. */
export async function signedInDesk(browser, base, name) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
  await probe(context);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  watchCsp(page, errors);
  await page.goto(`${base}/`);
  await page.waitForSelector('#sign-in:not([hidden])', { timeout: 15000 });
  await page.fill('#sign-in-name', name);
  await page.fill('#sign-in-password', `${name}-Password1`);
  await page.click('#sign-in button');
  await page.waitForSelector('#signed-in:not([hidden])', { timeout: 15000 });
  return { context, page, errors };
}
