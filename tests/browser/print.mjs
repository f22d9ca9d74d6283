// Prints a printable page (an incident's report, a plan's cards) to PDF with Debian's headless
// Chromium, as a duty officer saving it from the browser would.
// Usage: node print.mjs <page-url> <token> <out.pdf>
import { chromium } from 'playwright-core';
import { watchCsp } from './csp.mjs';

const [url, token, out] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update'],
});
try {
  const page = await browser.newPage({ extraHTTPHeaders: { authorization: `Bearer ${token}` } });
  const violations = [];
  watchCsp(page, violations);
  const response = await page.goto(url);
  if (!response.ok()) { console.error(`print test: ${url} answered ${response.status()}`); process.exit(1); }
  if (violations.length) { console.error(`print test: ${violations.join('; ')}`); process.exit(1); }
  await page.pdf({ path: out, format: 'A4', printBackground: true, preferCSSPageSize: true });
  console.log(JSON.stringify({ pdf: out }));
} finally {
  await browser.close();
}
