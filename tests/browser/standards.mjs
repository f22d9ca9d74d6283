// The desk's calculators: a water's values typed in the 规划 workspace give its class, and
// concentrations their AQI, as the server computes them. Prints one JSON line.
// Usage: node standards.mjs <base-url> <screenshot.png> (signs in as `analyst`)
import { launch, signedInDesk } from './launch.mjs';

const [base, screenshot] = process.argv.slice(2);
const fail = (message) => { console.error(`standards test: ${message}`); process.exit(1); };
const result = {};

const browser = await launch();
try {
  const { page, errors } = await signedInDesk(browser, base, 'analyst');
  await page.click('#workspaces [data-open="planning"]');
  await page.click('#standards summary');
  await page.fill('#water-class textarea[name="values"]', 'NH3-N 1.2\nTP 0.15\nCOD 18\nDO 6.2\npH 7.4');
  await page.click('#water-class button');
  await page.waitForSelector('#water-class-result .standard-result', { timeout: 15000 })
    .catch(async () => fail(`no water class: ${await page.textContent('#water-class-result')}`));
  result.water = await page.textContent('#water-class-result .standard-result');
  await page.fill('#aqi textarea[name="values"]', 'PM2.5_24h 80, O3_8h 120');
  await page.click('#aqi button');
  await page.waitForSelector('#aqi-result .standard-result', { timeout: 15000 })
    .catch(async () => fail(`no AQI: ${await page.textContent('#aqi-result')}`));
  result.aqi = await page.textContent('#aqi-result .standard-result');
  await page.fill('#aqi textarea[name="values"]', 'PM1 3');
  await page.click('#aqi button');
  await page.waitForFunction(() => !document.querySelector('#aqi-result .standard-result'), null, { timeout: 15000 });
  result.refused = await page.textContent('#aqi-result');
  await page.fill('#aqi textarea[name="values"]', 'PM2.5_24h 80, O3_8h 120');
  await page.click('#aqi button');
  await page.waitForSelector('#aqi-result .standard-result', { timeout: 15000 });
  await page.$eval('#standards', (e) => e.scrollIntoView());
  await page.screenshot({ path: screenshot });
  result.errors = errors;
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
}
