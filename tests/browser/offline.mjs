// Opens the map page of `onemap serve --offline` in Debian's headless Chromium and counts the
// features drawn from the package. Prints one JSON line. Usage: node offline.mjs <base-url> <screenshot.png>
import { chromium } from 'playwright-core';

const [base, screenshot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--enable-unsafe-swiftshader', '--use-angle=swiftshader', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const result = {};
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 }, locale: 'zh-CN' });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const outside = [];
  page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) outside.push(r.url()); });
  await page.goto(`${base}/`);
  await page.waitForFunction(() => window.onemap?.ready && window.onemap.map.loaded() && window.onemap.map.areTilesLoaded(), null, { timeout: 60000 });
  const layers = await page.evaluate(() => [...new Set(window.onemap.map.queryRenderedFeatures().map((f) => f.sourceLayer))].sort());
  result.layers = layers;
  result.features = await page.evaluate(() => window.onemap.map.queryRenderedFeatures().length);
  result.banner = await page.textContent('#banner');
  result.outside = outside;
  result.page_errors = errors;
  await page.screenshot({ path: screenshot });
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
