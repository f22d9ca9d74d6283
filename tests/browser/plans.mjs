// A planner at the desk opens a risk source's popup, sees its emergency plan flagged for
// revision with the reason, and prints the plan's cards from the popup's link, as a planner
// would. Prints one JSON line. Usage: node plans.mjs <base-url> <lon> <lat> <source-id>
// <screenshot.png> <cards.pdf> (signs in as `planner`, password planner-Password1)
import { launch, signedInDesk } from './launch.mjs';

const [base, lon, lat, source, screenshot, pdf] = process.argv.slice(2);
const fail = (message) => { console.error(`plans test: ${message}`); process.exit(1); };
const result = {};

const browser = await launch();
try {
  const { context, page, errors } = await signedInDesk(browser, base, 'planner');
  const idle = () => page.waitForFunction(() => window.probe?.ready && window.probe.map.loaded() && window.probe.map.areTilesLoaded(), null, { timeout: 60000 });
  await idle();
  // Only the risk sources shown (as the layer switcher would): the enterprise's own depot
  // stands on the same spot.
  await page.evaluate(([x, y]) => {
    const map = window.probe.map;
    for (const l of map.getStyle().layers) {
      if (l['source-layer'] && l['source-layer'] !== 'risk_source') map.setLayoutProperty(l.id, 'visibility', 'none');
    }
    map.jumpTo({ center: [x, y], zoom: 13 });
  }, [Number(lon), Number(lat)]);
  await idle();
  const at = await page.evaluate(([x, y]) => window.probe.map.project([x, y]), [Number(lon), Number(lat)]);
  await page.mouse.click(at.x, at.y);
  await page.waitForSelector('.maplibregl-popup', { timeout: 15000 });
  await page.waitForFunction(() => window.probe.lastPopup, null, { timeout: 15000 });
  result.popup = await page.evaluate(() => window.probe.lastPopup);
  if (result.popup?.layer !== 'risk_source' || String(result.popup.id) !== source) {
    fail(`popup of ${JSON.stringify(result.popup)}: ${await page.textContent('.maplibregl-popup')}`);
  }
  await page.waitForSelector('.maplibregl-popup .plans li', { timeout: 15000 })
    .catch(async () => fail(`no plans in the popup: ${await page.textContent('.maplibregl-popup')} ${errors}`));
  result.plans = await page.$$eval('.maplibregl-popup .plans li[data-plan]', (items) => items.map((i) => i.textContent));
  result.flags = await page.$$eval('.maplibregl-popup .plans ul.flags li', (items) => items.map((i) => i.textContent));
  await page.screenshot({ path: screenshot });
  // The desk lists the plans whose deadline is near or past, or that are to be revised.
  await page.click('#workspaces [data-open="duty"]');
  await page.waitForSelector('#plan-due li[data-plan]', { timeout: 15000 });
  result.desk = await page.$$eval('#plan-due li[data-plan]', (items) => items.map((i) => i.textContent));
  await page.screenshot({ path: screenshot.replace(/\.png$/, '-desk.png') });
  const [cards] = await Promise.all([context.waitForEvent('page'), page.click('.maplibregl-popup .plans a[href$="card.html"]')]);
  await cards.waitForLoadState('load');
  await cards.pdf({ path: pdf, format: 'A4', printBackground: true, preferCSSPageSize: true });
  result.cards = cards.url();
  // Risk sources coloured by where their plans stand: the paint, the legend and the feature drawn.
  await page.evaluate(() => document.querySelector('.maplibregl-popup-close-button')?.click());
  await page.click('#map-layers summary');
  await page.selectOption('select[data-colouring="risk_source"]', { label: '预案状态' });
  await idle();
  result.colouring = await page.evaluate(([x, y]) => {
    const map = window.probe.map;
    const p = map.project([x, y]);
    const drawn = map.queryRenderedFeatures([[p.x - 4, p.y - 4], [p.x + 4, p.y + 4]], { layers: ['risk_source', 'risk_source-area'] });
    return {
      paint: JSON.stringify(map.getPaintProperty('risk_source', 'circle-color')),
      legend: document.getElementById('legend').textContent,
      drawn: drawn.map((f) => [f.id, f.properties.plan_standing]),
    };
  }, [Number(lon), Number(lat)]);
  const own = await page.evaluate(async (id) => (await (await fetch(`/api/layers/risk_source/${id}`)).json()).properties.plan_standing, source);
  if (!result.colouring.paint.includes('plan_standing') || !result.colouring.legend.includes('预案状态')) fail(`colouring ${JSON.stringify(result.colouring)}`);
  if (!result.colouring.drawn.some(([id, s]) => String(id) === source && s === own)) fail(`drawn ${JSON.stringify(result.colouring)} vs ${own}`);
  await page.screenshot({ path: screenshot.replace(/\.png$/, '-standing.png') });
  result.errors = errors;
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
}
