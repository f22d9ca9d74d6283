// Opens an offline package's map in Debian's headless Chromium and counts the features drawn:
// either the page of `onemap serve --offline` (a URL), or the field page written beside the
// package (a file, opened with no server, the package chosen as a person would).
// Prints one JSON line. Usage: node offline.mjs <base-url | page.html> <screenshot.png> [archive.pmtiles]
import { launch } from './launch.mjs';
import { watchCsp } from './csp.mjs';
import { probe } from './probe.mjs';
import { pathToFileURL } from 'node:url';

const [where, screenshot, archive] = process.argv.slice(2);
const served = /^https?:/.test(where);
const browser = await launch();
const result = {};
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 }, locale: 'zh-CN' });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  watchCsp(page, errors);
  // What came from elsewhere: for the served page, anything not from it; for the file, anything not local.
  const fetched = [];
  page.on('request', (r) => {
    const url = r.url();
    if (!/^(blob|data):/.test(url) && !(served ? url.startsWith(where) : url.startsWith('file:'))) fetched.push(url);
  });
  if (served) await probe(page);
  await page.goto(served ? `${where}/` : pathToFileURL(where).href);
  // The map: the served page's shared state holds it; the field page (one file, no modules to
  // import) says when it has made it.
  let map;
  if (served) {
    await page.waitForFunction(() => window.probe?.map, null, { timeout: 60000 });
    map = await page.evaluateHandle(() => window.probe.map);
  } else {
    const made = page.evaluateHandle(() => new Promise((resolve) =>
      document.getElementById('map').addEventListener('onemap:map', (e) => resolve(e.detail), { once: true })));
    await page.setInputFiles('#file', archive);
    map = await made;
  }
  await page.waitForFunction((m) => m.loaded() && m.areTilesLoaded(), map, { timeout: 60000 });
  result.layers = await page.evaluate((m) => [...new Set(m.queryRenderedFeatures().map((f) => f.sourceLayer))].sort(), map);
  result.features = await page.evaluate((m) => m.queryRenderedFeatures().length, map);
  result.fetched = fetched;
  result.page_errors = errors;
  await page.screenshot({ path: screenshot });
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
