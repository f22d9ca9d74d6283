// Checks onemap's OpenAPI document with an independent validator (the OpenAPI Initiative's JSON
// Schemas, by @seriousme/openapi-schema-validator), then opens the API browser page (/api/docs)
// in Debian's headless Chromium and counts the operations it shows. Prints one JSON line.
// Usage: node openapi.mjs <base-url> <openapi.json>
import { Validator } from '@seriousme/openapi-schema-validator';
import { chromium } from 'playwright-core';
import { watchCsp } from './csp.mjs';

const [base, file] = process.argv.slice(2);
const result = {};
const validator = new Validator();
const checked = await validator.validate(file);
result.valid = checked.valid;
result.errors = checked.errors ?? null;
result.version = validator.version;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  watchCsp(page, errors);
  const outside = [];
  page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) outside.push(r.url()); });
  await page.goto(`${base}/api/docs`);
  await page.waitForSelector('.opblock', { timeout: 60000 });
  // Past a hundred or so operations Swagger UI draws only those in view: scroll to the end,
  // gathering each operation's id as it is drawn.
  const seen = new Set();
  for (let i = 0; i < 1000; i++) {
    for (const id of await page.$$eval('.opblock', (els) => els.map((e) => e.id))) seen.add(id);
    const end = await page.evaluate(() => {
      window.scrollBy(0, 600);
      return window.scrollY + window.innerHeight >= document.body.scrollHeight - 2;
    });
    await page.waitForTimeout(30);
    if (end) {
      for (const id of await page.$$eval('.opblock', (els) => els.map((e) => e.id))) seen.add(id);
      break;
    }
  }
  result.operations = seen.size;
  await page.evaluate(() => window.scrollTo(0, 0));
  result.title = await page.textContent('.info .title');
  result.outside = outside;
  result.page_errors = errors;
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
