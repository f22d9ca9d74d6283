// The first screen of each of onemap's screens, as a person opening it for the first time sees
// it: a fresh browser context (empty cache, no service worker), from navigation to the map's
// tiles drawn with its figures in. Prints one JSON line per screen: the median of `runs`.
// Used by `scripts/bench --part screens`. Usage: node measure.mjs <base-url> [runs]
import { chromium } from 'playwright-core';
import { probe } from './probe.mjs';

const [base, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 3);
const SCREENS = [['wall', '/wall', 1920, 1080, false], ['wall', '/wall', 3840, 2160, false], ['phone', '/', 390, 844, true], ['desk', '/', 1440, 900, false]];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--enable-unsafe-swiftshader', '--use-angle=swiftshader', '--no-first-run', '--disable-background-networking'],
});
try {
  for (const [screen, path, width, height, isMobile] of SCREENS) {
    const times = [];
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext({ viewport: { width, height }, isMobile, serviceWorkers: 'block' });
      await probe(context);
      const page = await context.newPage();
      await page.goto(`${base}${path}`);
      await page.waitForFunction(() => window.probe?.firstScreenMs, null, { timeout: 60000 });
      times.push(await page.evaluate(() => Math.round(window.probe.firstScreenMs)));
      await context.close();
    }
    times.sort((a, b) => a - b);
    console.log(JSON.stringify({ screen, width, height, first_screen_ms: times[Math.floor(times.length / 2)], runs: times }));
  }
} finally {
  await browser.close();
}
