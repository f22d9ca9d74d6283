// Opens the onemap viewer in Debian's headless Chromium and checks what a person in a command
// hall would: every layer drawn, a click opens the feature's popup, search and "what is around"
// answer, and a feature added through the API appears without a reload. Prints one JSON line.
// It signs in first: as a viewer it finds no write controls, as a dispatcher it plans and commits.
// Usage: node viewer.mjs <base-url> <screenshot.png> <admin-token>
import { launch } from './launch.mjs';
import { probe } from './probe.mjs';
import { watchCsp } from './csp.mjs';

const [base, screenshot, token] = process.argv.slice(2);
const bearer = { authorization: `Bearer ${token}` };
const fail = (message) => { console.error(`viewer test: ${message}`); process.exit(1); };
const result = {};

const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, locale: 'zh-CN' });
  await probe(page);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  watchCsp(page, errors);
  const outside = [];
  page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) outside.push(r.url()); });

  // The desk opens one workspace at a time: reach a control as a user would, by its tab (and
  // the layers list by opening it).
  const reach = (selector) => page.evaluate((s) => {
    const el = document.querySelector(s) ?? document.querySelector(s.match(/^#[\w-]+/)?.[0] ?? 'none');
    const pane = el?.closest('[data-workspace]');
    if (pane?.hidden) document.querySelector(`#workspaces [data-open="${pane.dataset.workspace}"]`).click();
    const details = el?.closest('details');
    if (details && !details.open) details.open = true;
  }, selector);
  const desk = Object.fromEntries(['click', 'fill', 'check', 'uncheck', 'selectOption', 'waitForSelector'].map((name) =>
    [name, async (selector, ...rest) => { await reach(selector); return page[name](selector, ...rest); }]));

  await page.goto(`${base}/`);
  const idle = () => page.waitForFunction(() => window.probe?.ready && window.probe.map.loaded() && window.probe.map.areTilesLoaded(), null, { timeout: 60000 });
  const signIn = async (name, password) => {
    await page.waitForSelector('#sign-in:not([hidden])', { timeout: 15000 });
    await desk.fill('#sign-in-name', name);
    await desk.fill('#sign-in-password', password);
    await desk.click('#sign-in button');
  };

  // Signed out, the page is a sign-in form and no map; a wrong password says so.
  await signIn('viewer', 'not-the-Password1');
  await page.waitForFunction(() => document.getElementById('sign-in-error').textContent, null, { timeout: 15000 });
  result.refused = await page.textContent('#sign-in-error');
  if (await page.evaluate(() => window.probe.ready)) fail('the map opened without a sign-in');

  // A viewer sees the map and no write controls; their cookie cannot write.
  await signIn('viewer', 'viewer-Password1');
  await page.waitForSelector('#signed-in:not([hidden])', { timeout: 15000 });
  await idle();
  result.viewer = await page.evaluate(() => ({
    who: document.getElementById('who').textContent,
    writeControls: [...document.querySelectorAll('[data-needs]')].filter((e) => e.offsetParent !== null).length,
    planButton: document.getElementById('plan-make').offsetParent !== null,
  }));
  if (result.viewer.writeControls !== 0 || result.viewer.planButton) fail(`a viewer sees write controls: ${JSON.stringify(result.viewer)}`);
  result.viewerWrite = await page.evaluate(async () => (await fetch('/api/layers/team', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'Feature', geometry: { type: 'Point', coordinates: [106.5, 29.5] }, properties: { name: '不应写入', specialties: ['hazmat'], headcount: 1 } }) })).status);
  if (result.viewerWrite !== 403) fail(`a viewer's cookie wrote: ${result.viewerWrite}`);
  await desk.click('#sign-out');

  // The rest as a dispatcher.
  await signIn('dispatcher', 'dispatcher-Password1');
  await page.waitForSelector('#signed-in:not([hidden])', { timeout: 15000 });
  await idle();
  await reach('#plan-make');
  if (!(await page.evaluate(() => document.getElementById('plan-make').offsetParent !== null))) fail('a dispatcher has no plan controls');

  // Every layer is drawn.
  const rendered = await page.evaluate(() => {
    const counts = {};
    for (const f of window.probe.map.queryRenderedFeatures()) counts[f.sourceLayer] = (counts[f.sourceLayer] ?? 0) + 1;
    return counts;
  });
  result.rendered = rendered;
  for (const layer of ['district', 'route', 'risk_source', 'receptor', 'depot', 'team']) {
    if (!rendered[layer]) fail(`no ${layer} features rendered: ${JSON.stringify(rendered)}`);
  }

  // Click a city-tier depot: its popup shows its name.
  const target = await page.evaluate(() => {
    const map = window.probe.map;
    const depots = map.queryRenderedFeatures({ layers: ['depot'] }).filter((f) => f.properties.tier === 'city');
    const f = depots[0];
    const p = map.project(f.geometry.coordinates);
    return { id: f.id, name: f.properties.name, x: p.x, y: p.y };
  });
  await page.mouse.click(target.x, target.y);
  await page.waitForSelector('.maplibregl-popup', { timeout: 10000 });
  await page.waitForFunction((name) => document.querySelector('.maplibregl-popup')?.textContent.includes(name), target.name, { timeout: 10000 });
  result.popup = await page.evaluate(() => window.probe.lastPopup);
  if (result.popup.layer !== 'depot' || result.popup.id !== target.id) fail(`popup for the wrong feature: ${JSON.stringify(result.popup)}`);
  await page.keyboard.press('Escape');

  // Search by name.
  await desk.fill('#search-text', '长寿');
  await desk.click('#search button');
  await page.waitForFunction(() => document.querySelectorAll('#search-results li').length > 0, null, { timeout: 10000 });
  result.search = await page.$$eval('#search-results li', (items) => items.map((i) => i.textContent));
  if (!result.search.some((t) => t.includes('长寿'))) fail(`search found ${JSON.stringify(result.search)}`);

  // "What is around here": right-click near the depot.
  await page.mouse.click(target.x, target.y, { button: 'right' });
  await page.waitForFunction(() => document.querySelectorAll('#around-results li').length > 0, null, { timeout: 10000 });
  result.around = await page.$$eval('#around-results li', (items) => items.slice(0, 3).map((i) => i.textContent));
  if (!result.around[0].includes(target.name)) fail(`nearest to a depot is not the depot: ${JSON.stringify(result.around)}`);

  // A dispatcher places an incident: ranked depots with their routes drawn.
  await page.evaluate(() => window.probe.popup?.remove());
  const onRoad = await page.evaluate(() => {
    const map = window.probe.map;
    const road = map.queryRenderedFeatures({ layers: ['road'] }).find((f) => f.geometry.type === 'LineString' && f.geometry.coordinates.length > 1);
    const [a, b] = road.geometry.coordinates;
    const p = map.project([(a[0] + b[0]) / 2, (a[1] + b[1]) / 2]);
    return { x: p.x, y: p.y };
  });
  await desk.click('#dispatch-place');
  await page.mouse.click(onRoad.x, onRoad.y);
  await page.waitForFunction(() => window.probe.lastDispatch || !document.getElementById('dispatch-summary').textContent.includes('单击'), null, { timeout: 15000 });
  if (!(await page.evaluate(() => window.probe.lastDispatch))) fail(`dispatch: ${await page.textContent('#dispatch-summary')}`);
  result.dispatch = await page.$$eval('#dispatch-results li', (items) => items.map((i) => i.textContent));
  const drawn = await page.evaluate(() => {
    const d = window.probe.lastDispatch;
    return { results: d.results.length, minutes: d.results.map((r) => r.minutes), routes: window.probe.map.getSource('dispatch') ? 1 : 0 };
  });
  if (!drawn.routes || drawn.results < 1) fail(`no dispatch routes drawn: ${JSON.stringify(drawn)}`);
  if (drawn.minutes.some((m, i) => i > 0 && m < drawn.minutes[i - 1])) fail(`dispatch not ranked by time: ${drawn.minutes}`);

  // A dispatcher plans for the open drill incident and commits the plan.
  await page.waitForFunction(() => document.querySelectorAll('#plan-incident option').length > 0, null, { timeout: 10000 });
  await desk.fill('#plan-demands', '活性炭 20\nhazmat 1');
  await desk.click('#plan-make');
  await page.waitForFunction(() => window.probe.plan || document.getElementById('plan-summary').textContent, null, { timeout: 15000 });
  const plan = await page.evaluate(() => window.probe.plan);
  if (!plan) fail(`plan: ${await page.textContent('#plan-summary')}`);
  result.plan = await page.$$eval('#plan-results li', (items) => items.map((i) => i.textContent));
  if (result.plan.length !== 2 || plan.demands[0].short !== 0) fail(`plan: ${JSON.stringify(result.plan)}`);
  const routes = await page.evaluate(() => window.probe.map.getSource('dispatch').serialize().data.features.filter((f) => f.properties.role === 'route').length);
  if (routes !== plan.shipments.length) fail(`plan routes drawn: ${routes} of ${plan.shipments.length}`);
  await desk.click('#plan-commit');
  await page.waitForFunction(() => window.probe.committed || document.getElementById('plan-summary').textContent.includes('失败'), null, { timeout: 15000 });
  const recorded = await (await fetch(`${base}/api/incidents/${plan.id}/dispatches`, { headers: bearer })).json();
  if (recorded.dispatches.length !== plan.shipments.length) fail(`dispatches recorded: ${JSON.stringify(recorded)}`);
  result.committed = recorded.dispatches.length;

  // Planners: the risk layers are switched on and drawn; a click on a river traces it downstream.
  await page.evaluate(() => window.probe.popup?.remove());
  for (const layer of ['risk_district', 'risk_grid', 'risk_road']) await desk.check(`input[data-layer="${layer}"]`);
  await page.waitForFunction(() => ['risk_district-fill', 'risk_grid-fill', 'risk_road-line']
    .every((id) => window.probe.map.queryRenderedFeatures({ layers: [id] }).length > 0), null, { timeout: 20000 });
  result.riskClasses = await page.evaluate(() => [...new Set(window.probe.map.queryRenderedFeatures({ layers: ['risk_district-fill'] }).map((f) => f.properties.class))]);
  for (const layer of ['risk_district', 'risk_grid', 'risk_road']) await desk.uncheck(`input[data-layer="${layer}"]`);
  const rivers = await (await fetch(`${base}/api/layers/route?kind=river&q=嘉陵江&limit=10`, { headers: bearer })).json();
  const jialing = rivers.features.find((f) => f.geometry.coordinates.length > 3).geometry.coordinates[2];
  const onRiver = await page.evaluate((at) => {
    const map = window.probe.map;
    map.jumpTo({ center: at, zoom: 11 });
    const c = map.getCanvas();
    return { x: c.getBoundingClientRect().left + c.clientWidth / 2, y: c.getBoundingClientRect().top + c.clientHeight / 2 };
  }, jialing);
  await desk.check('#trace-mode');
  await page.mouse.click(onRiver.x, onRiver.y);
  await page.waitForFunction(() => window.probe.lastTrace || document.getElementById('trace-summary').textContent, null, { timeout: 15000 });
  const traced = await page.evaluate(() => window.probe.lastTrace);
  if (!traced || !traced.features.length) fail(`trace: ${await page.textContent('#trace-summary')}`);
  result.trace = await page.$$eval('#trace-results li', (items) => items.slice(0, 3).map((i) => i.textContent));
  await desk.uncheck('#trace-mode');
  // A water warning over the traced river, issued from the panel.
  await desk.click('#trace-warn');
  await page.waitForFunction(() => window.probe.warnings?.lastIssued?.properties.kind === 'water', null, { timeout: 15000 });
  result.traceWarning = await page.evaluate(() => window.probe.warnings.lastIssued.properties.area_desc);

  // A feature added through the API appears without a reload.
  const spot = await page.evaluate(() => {
    const map = window.probe.map;
    const c = map.getCanvas();
    const ll = map.unproject([c.clientWidth * 0.3, c.clientHeight * 0.7]);
    return [ll.lng, ll.lat];
  });
  const response = await fetch(`${base}/api/layers/team`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer },
    body: JSON.stringify({ type: 'Feature', geometry: { type: 'Point', coordinates: spot },
      properties: { name: '浏览器测试队', specialties: ['hazmat'], headcount: 12 } }),
  });
  if (response.status !== 201) fail(`POST team: ${response.status}`);
  const created = await response.json();
  const started = Date.now();
  await page.waitForFunction((id) => window.probe.map.queryRenderedFeatures({ layers: ['team'] }).some((f) => f.id === id), created.id, { timeout: 20000 });
  result.live_ms = Date.now() - started;
  result.reloaded = await page.evaluate(() => performance.getEntriesByType('navigation').length !== 1);
  if (result.reloaded) fail('the page reloaded');

  await idle();
  await page.screenshot({ path: screenshot });
  // Central Chongqing: the real Yangtze and Jialing meet at Chaotianmen.
  await page.evaluate(() => window.probe.map.jumpTo({ center: [106.56, 29.57], zoom: 12 }));
  await idle();
  result.central = await page.evaluate(() => [...new Set(window.probe.map.queryRenderedFeatures({ layers: ['river'] }).map((f) => f.properties.name))].sort());
  if (!result.central.includes('长江') || !result.central.includes('嘉陵江')) fail(`rivers in central Chongqing: ${result.central}`);
  await page.screenshot({ path: screenshot.replace(/\.png$/, '-central.png') });

  // The duty desk: the demo's open drill is overdue (found days ago, no initial report); the
  // dispatcher files the initial report from the panel and the flag clears, on the map too.
  const overdue = await (await fetch(`${base}/api/layers/incident?status=open&initial_report_overdue=true`, { headers: bearer })).json();
  if (!overdue.features.length) fail('the demo has no overdue incident');
  const drill = overdue.features[0].id;
  await desk.waitForSelector(`#duty-incidents li.overdue[data-id="${drill}"]`, { timeout: 15000 });
  result.ringedBefore = await page.evaluate(() => window.probe.map.querySourceFeatures('duty-overdue').length);
  await desk.click(`#duty-incidents li[data-id="${drill}"]`);
  await desk.click('#duty-detail button[data-stage="initial"]');
  await desk.fill('#report-dialog textarea[name=summary]', '运输车辆侧翻，柴油约 2 吨入江（浏览器测试）');
  await desk.fill('#report-dialog textarea[name=measures]', '布设围油栏，通知下游水厂');
  await desk.fill('#report-dialog input[name=reporting_unit]', '长寿区生态环境局');
  await desk.fill('#report-dialog input[name=contact]', '值班室 023-00000000');
  await desk.click('#report-dialog button[value=submit]');
  await desk.waitForSelector(`#duty-incidents li.reported[data-id="${drill}"]`, { timeout: 15000 });
  const filed = await (await fetch(`${base}/api/layers/incident/${drill}`, { headers: bearer })).json();
  if (filed.properties.initial_report_overdue !== false || !filed.properties.initial_reported_at) fail(`the report did not clear the flag: ${JSON.stringify(filed.properties)}`);
  const reports = await (await fetch(`${base}/api/incidents/${drill}/reports`, { headers: bearer })).json();
  result.filed = reports.reports.map((r) => [r.stage, r.status, r.author, r.threatened?.length]);
  if (reports.reports[0]?.author !== 'dispatcher') fail(`the report's author: ${JSON.stringify(reports.reports)}`);
  await page.waitForFunction(() => window.probe.map.querySourceFeatures('duty-overdue').length === 0, null, { timeout: 15000 });
  await desk.waitForSelector('#duty-detail .duty-timeline li', { state: 'attached', timeout: 15000 });
  await page.locator('#duty').screenshot({ path: screenshot.replace(/\.png$/, '-duty-panel.png') });

  // The statistics: ECharts draws the year, cause and district charts from the API's figures.
  await desk.click('#stats-open');
  await page.waitForFunction(() => window.probe.stats && ['chart-year', 'chart-cause', 'chart-district']
    .every((id) => document.querySelector(`#${id} canvas`)?.width > 0), null, { timeout: 30000 });
  const byYear = await (await fetch(`${base}/api/stats/incidents?by=year`, { headers: bearer })).json();
  const shownYear = await page.evaluate(() => window.probe.stats.year.groups.map((g) => [g.key, g.count]));
  if (JSON.stringify(shownYear) !== JSON.stringify(byYear.groups.map((g) => [g.key, g.count]))) fail(`year chart ${JSON.stringify(shownYear)}`);
  result.statsYears = shownYear;
  await page.evaluate(() => document.getElementById('statistics').scrollIntoView());
  await page.screenshot({ path: screenshot.replace(/\.png$/, '-duty.png') });

  // A chlorine release at a Changshou chemical park: the zones drawn nested, downwind.
  const parks = await (await fetch(`${base}/api/layers/risk_source?q=${encodeURIComponent('长寿经开区')}&limit=1`, { headers: bearer })).json();
  const g = parks.features[0].geometry;
  const source = g.type === 'Point' ? g.coordinates : g.coordinates[0][0];
  await page.evaluate((c) => window.probe.map.jumpTo({ center: c, zoom: 12 }), source);
  await idle();
  await desk.fill('#plume-wind-from', '270');
  await desk.click('#plume-place');
  const px = await page.evaluate((c) => window.probe.map.project(c), source);
  await page.mouse.click(px.x, px.y);
  await page.waitForFunction(() => window.probe.lastPlume, null, { timeout: 15000 });
  await idle();
  result.plume = await page.evaluate(() => window.probe.lastPlume.features.map((f) => [f.properties.threshold_mg_m3, f.properties.max_distance_m]));
  if (result.plume.length !== 2 || !(result.plume[0][1] > result.plume[1][1])) fail(`plume zones ${JSON.stringify(result.plume)}`);
  const drawnZones = await page.evaluate(() => window.probe.map.queryRenderedFeatures({ layers: ['plume-fill'] }).length);
  if (!drawnZones) fail('the plume zones are not drawn');
  // The dispatcher issues a warning over the plume's zone: it is in force and drawn, live.
  await desk.selectOption('#warning-level', '红');
  await desk.click('#plume-warn');
  await page.waitForFunction(() => window.probe.warnings?.lastIssued?.properties.kind === 'air', null, { timeout: 15000 });
  const inForce = await (await fetch(`${base}/api/warnings?in_force=true`, { headers: bearer })).json();
  const issuedId = await page.evaluate(() => window.probe.warnings.lastIssued.id);
  if (!inForce.features.some((f) => f.id === issuedId && f.properties.level === '红')) fail(`the warning is not in force: ${JSON.stringify(inForce)}`);
  await desk.waitForSelector(`#warning-list li[data-id="${issuedId}"]`, { timeout: 15000 });
  await idle();
  const drawnWarnings = await page.evaluate(() => window.probe.map.queryRenderedFeatures({ layers: ['warnings-fill'] }).length);
  if (!drawnWarnings) fail('the warning is not drawn');
  result.warning = issuedId;
  await page.screenshot({ path: screenshot.replace(/\.png$/, '-plume.png') });

  // An interception plan from a click on the Jialing at Hechuan: the sites downstream, in order.
  const hechuan = await (await fetch(`${base}/api/layers/intercept_site?q=${encodeURIComponent('合川')}&limit=1`, { headers: bearer })).json();
  const spill = hechuan.features[0].geometry.coordinates;
  await page.evaluate((c) => window.probe.map.jumpTo({ center: c, zoom: 12 }), spill);
  await idle();
  // At the Jialing's 2,000 m³/s, the 50,000 m³ side pond at 磁器口 is full in under a minute.
  await desk.fill('#intercept-flow', '2000');
  await desk.click('#intercept-place');
  const sp = await page.evaluate((c) => window.probe.map.project(c), spill);
  await page.mouse.click(sp.x, sp.y);
  await page.waitForFunction(() => window.probe.lastIntercept, null, { timeout: 15000 });
  result.intercept = await page.evaluate(() => window.probe.lastIntercept.sites.map((s) => [s.name, s.minutes]));
  const shown = await page.$$eval('#intercept-results li', (items) => items.length);
  if (result.intercept.length < 2 || shown !== result.intercept.length) fail(`interception plan ${JSON.stringify(result.intercept)}`);
  if (!result.intercept.every((s, i, a) => i === 0 || a[i - 1][1] <= s[1])) fail('sites not in downstream order');
  const pond = await page.$$eval('#intercept-results li', (items) => items.map((li) => li.textContent).find((t) => t.includes('磁器口')));
  if (!pond || !pond.includes('不能作为拦截点')) fail(`the full pond is not said: ${pond}`);

  // The planner's coverage, in its workspace: the gaps listed are the API's.
  await desk.fill('#coverage-item', '围油栏');
  await desk.fill('#coverage-minutes', '30,60');
  await desk.click('#coverage-make');
  await page.waitForFunction(() => window.probe.lastCoverage, null, { timeout: 30000 });
  const cover = await (await fetch(`${base}/api/coverage?item=${encodeURIComponent('围油栏')}&minutes=30,60`, { headers: bearer })).json();
  const coverDrawn = await page.evaluate(() => window.probe.map.getSource("coverage")?.serialize().data.features.length);
  const listed = await page.$$eval('#coverage-results li', (items) => items.length);
  const gaps = cover.outside.receptors.filter((r) => r.kind === 'water_intake').length + cover.outside.risk_sources.length;
  result.coverage = { drawn: coverDrawn, listed, gaps };
  if (coverDrawn !== cover.features.filter((f) => f.geometry).length) fail(`coverage areas drawn ${coverDrawn} of ${cover.features.length}`);
  if (listed !== Math.min(gaps, 30)) fail(`coverage gaps listed ${listed}, the API has ${gaps}`);

  if (errors.length) fail(`page errors: ${errors.join('; ')}`);
  if (outside.length) fail(`requests outside onemap: ${outside.join(', ')}`);
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
}
