// Opens the field page of an offline package from the disk (file://, no server) in Debian's
// headless Chromium, chooses the package as a person would, and counts the features drawn.
// Prints one JSON line. Usage: node field.mjs <page.html> <archive.pmtiles> <screenshot.png>
import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';

const [page_file, archive, screenshot] = process.argv.slice(2);
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
  const fetched = [];
  page.on('request', (r) => { if (!/^(file|blob|data):/.test(r.url())) fetched.push(r.url()); });
  await page.goto(pathToFileURL(page_file).href);
  await page.setInputFiles('#file', archive);
  await page.waitForFunction(() => window.onemap?.ready && window.onemap.map.loaded() && window.onemap.map.areTilesLoaded(), null, { timeout: 60000 });
  result.layers = await page.evaluate(() => [...new Set(window.onemap.map.queryRenderedFeatures().map((f) => f.sourceLayer))].sort());
  result.features = await page.evaluate(() => window.onemap.map.queryRenderedFeatures().length);
  result.fetched = fetched;
  result.page_errors = errors;
  await page.screenshot({ path: screenshot });
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
