// The three screens in Debian's headless Chromium: the wall at 1920×1080 and 3840×2160, the
// phone at 390×844, the desk at 1440×900. Measures in the DOM what each user needs (no
// scrollbars and nothing cut on the wall, the wall's figures equal to the API's, touch targets
// on the phone, nothing off screen), follows a change and an incident on the wall, files a
// report with a photo from a phone whose network is cut, saves screenshots under target/ and
// prints one JSON line with the figures (the first-screen times among them).
// Usage: node screens.mjs <base-url> <target-dir> <admin-token> <viewer-token> <officer-token> <incident-id>
import { launch } from './launch.mjs';
import { probe } from './probe.mjs';
import { watchCsp } from './csp.mjs';

const [base, target, adminToken, viewerToken, officerToken, incidentArg, riverIncidentArg] = process.argv.slice(2);
const incidentId = Number(incidentArg);
// An incident on a river, with its emergency monitoring issued.
const riverIncidentId = Number(riverIncidentArg);
const result = { wall: {}, phone: {}, desk: {} };
const fail = (message) => { console.error(`screens test: ${message}`); console.log(JSON.stringify(result)); process.exit(1); };
const check = (ok, message) => { if (!ok) fail(message); };
/** Waits for `fn` in `page` to be true; fails saying `what` and the page's errors when it is not
 * (after a minute by default: two browser tests may share the machine's two cores). */
const waitFor = (page, what, fn, arg = null, timeout = 60000) => page.waitForFunction(fn, arg, { timeout, polling: 250 })
  .catch((e) => fail(`timed out waiting for ${what} (${e.message.split('\n')[0]}); page errors: ${page.errors}; console: ${page.logs.slice(-5)}`));

/** A call to the API as `token`: status and JSON. */
async function call(path, { method = 'GET', body, token = adminToken } = {}) {
  const headers = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = text; }
  return { status: response.status, body: json };
}

const browser = await launch();

/** A fresh context (empty cache) signed in by `token`, with a page that records errors and outside requests. */
async function open(viewport, token, extra = {}) {
  const headers = token ? { extraHTTPHeaders: { authorization: `Bearer ${token}` } } : {};
  const context = await browser.newContext({ viewport, locale: 'zh-CN', ...headers, ...extra });
  await probe(context);
  const page = await context.newPage();
  page.setDefaultTimeout(60000);
  page.errors = [];
  page.logs = [];
  page.outside = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') page.logs.push(m.text()); });
  page.on('pageerror', (e) => page.errors.push(String(e)));
  watchCsp(page, page.errors);
  page.on('request', (r) => { const u = r.url(); if (!u.startsWith(base) && !u.startsWith('blob:') && !u.startsWith('data:')) page.outside.push(u); });
  return { context, page };
}

/** What the issue measures in the DOM: scrollbars, what is cut or off screen, the smallest type. */
const LAYOUT = () => {
  const W = innerWidth;
  const H = innerHeight;
  const name = (el) => el.id ? `#${el.id}` : `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`;
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const cs = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && cs.visibility !== 'hidden' && cs.display !== 'none' && !el.closest('[hidden]');
  };
  const scrollbars = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > W || doc.scrollHeight > H) scrollbars.push(`document ${doc.scrollWidth}×${doc.scrollHeight}`);
  const offscreen = [];
  const clipped = [];
  let minFont = Infinity;
  let minFontAt = '';
  for (const el of document.body.querySelectorAll('*')) {
    if (!visible(el) || el.closest('.maplibregl-canvas-container')) continue;
    const cs = getComputedStyle(el);
    if (['auto', 'scroll'].includes(cs.overflowY) && el.scrollHeight > el.clientHeight + 1) scrollbars.push(name(el));
    if (['auto', 'scroll'].includes(cs.overflowX) && el.scrollWidth > el.clientWidth + 1) scrollbars.push(name(el));
    // What shows of it: its box cut by every ancestor that clips (a ticker's track, a panel).
    let r = el.getBoundingClientRect();
    r = { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflow === 'visible') continue;
      const c = a.getBoundingClientRect();
      r = { left: Math.max(r.left, c.left), top: Math.max(r.top, c.top), right: Math.min(r.right, c.right), bottom: Math.min(r.bottom, c.bottom) };
    }
    const shows = r.right > r.left && r.bottom > r.top;
    if (shows && (r.left < -1 || r.top < -1 || r.right > W + 1 || r.bottom > H + 1)) offscreen.push(name(el));
    if (el.classList.contains('panel') && el.scrollHeight > el.clientHeight + 1) clipped.push(name(el));
    const text = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (text && parseFloat(cs.fontSize) < minFont) { minFont = parseFloat(cs.fontSize); minFontAt = name(el); }
  }
  return { scrollbars, offscreen: offscreen.slice(0, 10), clipped, minFont, minFontAt };
};

/** Visible controls smaller than 44×44 CSS px (the touch target size). */
const SMALL_TARGETS = () => {
  const small = [];
  for (const el of document.querySelectorAll('button, input, select, textarea, a[href], summary, [role=button]')) {
    if (el.closest('[hidden]') || el.closest('.maplibregl-ctrl-attrib')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
    // A checkbox's target is its label.
    const target = (el.type === 'checkbox' || el.type === 'radio') && el.closest('label') ? el.closest('label').getBoundingClientRect() : r;
    if (target.height < 44 || target.width < 44) small.push(`${el.id || el.textContent.trim().slice(0, 12) || el.className} ${Math.round(target.width)}×${Math.round(target.height)}`);
  }
  return small;
};

try {
  // ---- the wall ----------------------------------------------------------------------------------
  {
    // Without a credential (and without public read) the wall is its sign-in form.
    const { context, page } = await open({ width: 1920, height: 1080 }, null);
    await page.goto(`${base}/wall`);
    await page.waitForSelector('#wall-sign-in:not([hidden])', { timeout: 60000 });
    check(await page.evaluate(() => !window.probe.map), 'the wall opened its map without a sign-in');
    await page.fill('#wall-sign-in [name=username]', 'wall');
    await page.fill('#wall-sign-in [name=password]', 'not-the-Password1');
    await page.click('#wall-sign-in button');
    await waitFor(page, 'the refused sign-in', () => document.getElementById('wall-sign-in-error').textContent);
    await page.fill('#wall-sign-in [name=password]', 'wall-Password1');
    await page.click('#wall-sign-in button');
    await waitFor(page, 'the wall after its sign-in', () => window.probe?.ready, null, 90000);
    result.wall.sign_in = 'refused, then signed in';
    await context.close();
  }
  for (const [width, height] of [[1920, 1080], [3840, 2160]]) {
    const { context, page } = await open({ width, height }, viewerToken);
    await page.goto(`${base}/wall`);
    await page.waitForFunction(() => window.probe?.ready && window.probe.charts, null, { timeout: 90000 });
    const first = await page.evaluate(() => Math.round(window.probe.firstScreenMs));
    await page.waitForFunction(() => window.probe.map.areTilesLoaded(), null, { timeout: 60000 });
    const layout = await page.evaluate(LAYOUT);
    const key = `${width}x${height}`;
    result.wall[key] = { first_screen_ms: first, min_font_px: layout.minFont, min_font_at: layout.minFontAt };
    check(!layout.scrollbars.length, `wall ${key} has scrollbars: ${layout.scrollbars}`);
    check(!layout.offscreen.length, `wall ${key} has elements off screen: ${layout.offscreen}`);
    check(!layout.clipped.length, `wall ${key} cuts panels: ${layout.clipped}`);
    // Readable from the back of the hall: nothing under 12 px at 1080 lines, 24 px at 2160.
    check(layout.minFont >= height / 90, `wall ${key}: type of ${layout.minFont}px at ${layout.minFontAt}`);

    // The figures are the API's.
    const { body: o } = await call('/api/overview', { token: viewerToken });
    const shown = await page.evaluate(() => ({
      grades: [...document.querySelectorAll('#sources-by-grade .n')].map((e) => Number(e.textContent)),
      teams: [...document.querySelectorAll('#teams .n')].map((e) => Number(e.textContent)),
      open: Number(document.getElementById('incidents-open').textContent),
      inForce: Number(document.getElementById('warnings-in-force').textContent),
      levels: [...document.querySelectorAll('#warnings-by-level .n')].map((e) => Number(e.textContent)),
      stock: [...document.querySelectorAll('#stock tbody tr')].map((tr) => [tr.dataset.item, Number(tr.dataset.free), Number(tr.dataset.reserved), Number(tr.dataset.expiring)]),
      incidents: [...document.querySelectorAll('#incidents li[data-id]')].map((li) => Number(li.dataset.id)),
      receptors: [...document.querySelectorAll('#receptors-by-kind .n')].map((e) => Number(e.textContent)).reduce((a, b) => a + b, 0),
    }));
    const same = (a, b, what) => check(JSON.stringify(a) === JSON.stringify(b), `wall ${key} ${what}: shows ${JSON.stringify(a)}, the API says ${JSON.stringify(b)}`);
    same(shown.grades, ['重大', '较大', '一般', '未分级'].map((g) => o.risk_sources.by_grade[g]), 'risk sources by grade');
    same(shown.teams, [o.teams.available, o.teams.dispatched, o.teams.off_duty, o.teams.total], 'teams');
    same([shown.open, shown.inForce], [o.incidents.open, o.warnings.in_force], 'incidents and warnings');
    same(shown.levels, ['红', '橙', '黄', '蓝'].map((l) => o.warnings.by_level[l]), 'warnings by level');
    same(shown.stock, o.stock.map((s) => [s.item, s.free, s.reserved, s.expiring]), 'stock');
    same(shown.receptors, Object.values(o.receptors.by_kind).reduce((a, b) => a + b, 0), 'receptors');
    check(shown.incidents.includes(incidentId), `wall ${key} does not list incident ${incidentId}`);
    check(o.warnings.in_force >= 1 && o.teams.dispatched >= 1, 'the drill left no warning or dispatched team');
    await page.screenshot({ path: `${target}/wall-${key}.png` });

    if (width === 1920) {
      // A change through the API shows on the wall: a team goes off duty.
      const { body: teams } = await call('/api/layers/team?status=available&limit=1');
      const team = teams.features[0];
      const before = shown.teams[2];
      const t0 = Date.now();
      const patched = await call(`/api/layers/team/${team.id}`, { method: 'PATCH', body: { status: 'off_duty' } });
      check(patched.status === 200, `PATCH team: ${patched.status} ${JSON.stringify(patched.body)}`);
      await page.waitForFunction((n) => Number(document.querySelectorAll('#teams .n')[2].textContent) === n, before + 1, { timeout: 30000, polling: 'raf' });
      result.wall.change_shown_ms = Date.now() - t0;

      // Focus on the drill: the map flies there, its dispatches and timeline show, a dispatch
      // set off moves along its road.
      await page.click(`#incidents li[data-id="${incidentId}"]`);
      await page.waitForFunction((id) => window.probe.focused === id, incidentId, { timeout: 60000 });
      const { body: sent } = await call(`/api/incidents/${incidentId}/dispatches`);
      const moving = sent.dispatches.find((d) => d.status === 'planned');
      check(moving, 'the drill has no planned dispatch');
      const go = await call(`/api/dispatches/${moving.id}`, { method: 'PATCH', body: { status: 'en_route' } });
      check(go.status === 200, `dispatch en route: ${go.status} ${JSON.stringify(go.body)}`);
      await page.waitForFunction(() => !window.probe.map.isMoving() && window.probe.map.queryRenderedFeatures({ layers: ['focus-vehicle'] }).length > 0
        && document.getElementById('focus-dispatches').textContent.includes('在途'), null, { timeout: 60000 });
      const focus = await page.evaluate((id) => {
        const c = window.probe.map.getCenter();
        const incident = window.probe.overview.incidents.list.find((i) => i.id === id);
        return {
          centre_off_deg: Math.hypot(c.lng - incident.position[0], c.lat - incident.position[1]),
          dispatches: document.querySelectorAll('#focus-dispatches li:not(.more)').length,
          orders: document.querySelectorAll('#focus-orders li').length,
          summary: document.getElementById('focus-summary').textContent,
          timeline: document.querySelectorAll('#focus-timeline li:not(.more)').length,
          routes: window.probe.routes.length,
          route_points: window.probe.routes.map((r) => r.geometry.coordinates.length),
          vehicles: window.probe.vehicles.length,
          moving: window.probe.vehicles.filter((v) => v.properties.status === 'en_route').length,
          area: window.probe.map.querySourceFeatures('focus-area').length,
          panel: !document.getElementById('panel-focus').hidden,
        };
      }, incidentId);
      result.wall.focus = focus;
      check(focus.panel && focus.centre_off_deg < 0.05, `focus: ${JSON.stringify(focus)}`);
      check(focus.orders >= 1 && focus.summary.includes('Ⅳ级响应'), `focus shows no orders or level: ${JSON.stringify(focus)}`);
      check(focus.dispatches >= 1 && focus.timeline >= 3 && focus.routes === sent.dispatches.length && focus.area >= 1 && focus.moving === 1, `focus: ${JSON.stringify(focus)}`);
      const focusLayout = await page.evaluate(LAYOUT);
      check(!focusLayout.scrollbars.length && !focusLayout.clipped.length, `focus layout: ${JSON.stringify(focusLayout)}`);
      await page.screenshot({ path: `${target}/wall-focus.png` });
      await page.click('#focus-exit');
      check(await page.evaluate(() => !document.getElementById('panel-incidents').hidden && window.probe.focus === null), 'focus did not end');
    }
    check(!page.errors.length, `wall errors: ${page.errors}`);
    check(!page.outside.length, `wall fetched from outside: ${page.outside}`);
    await context.close();
  }

  // ---- the desk --------------------------------------------------------------------------------
  {
    const { context, page } = await open({ width: 1440, height: 900 }, viewerToken);
    await page.goto(`${base}/`);
    await page.waitForFunction(() => window.probe?.firstScreenMs, null, { timeout: 90000 });
    result.desk.first_screen_ms = await page.evaluate(() => Math.round(window.probe.firstScreenMs));
    const desk = await page.evaluate(() => ({
      writes: [...document.querySelectorAll('[data-needs]')].filter((e) => !e.closest('[hidden]') && e.getBoundingClientRect().height > 0).length,
      mapShare: (() => { const r = document.getElementById('map').getBoundingClientRect(); return (r.width * r.height) / (innerWidth * innerHeight); })(),
    }));
    result.desk = { ...result.desk, ...desk };
    check(desk.writes === 0, `a viewer sees ${desk.writes} write controls on the desk`);
    // Each workspace the viewer is offered fits the screen beside the map: nothing scrolls,
    // nothing is off screen, and no write control shows in any of them.
    const tabs = await page.$$eval('#workspaces [data-open]:not([hidden])', (t) => t.map((b) => b.dataset.open));
    result.desk.workspaces = {};
    for (const name of tabs) {
      await page.click(`#workspaces [data-open="${name}"]`);
      const layout = await page.evaluate(LAYOUT);
      const writes = await page.evaluate(() => [...document.querySelectorAll('[data-needs]')]
        .filter((e) => !e.closest('[hidden]') && e.getBoundingClientRect().height > 0).length);
      const height = await page.evaluate(() => document.getElementById('panel').scrollHeight);
      result.desk.workspaces[name] = { height, scrollbars: layout.scrollbars };
      check(!layout.scrollbars.length, `desk workspace ${name} scrolls at 1440×900: ${layout.scrollbars}`);
      check(!layout.offscreen.length, `desk workspace ${name}: elements off screen: ${layout.offscreen}`);
      check(writes === 0, `a viewer sees ${writes} write controls in workspace ${name}`);
    }
    check(tabs.length === 4, `a viewer is offered the workspaces ${tabs}`);
    await page.click('#workspaces [data-open="duty"]');
    // Who is on duty now, from the roster.
    await page.waitForFunction(() => document.getElementById('on-duty')?.textContent.includes('张值班'), null, { timeout: 15000 })
      .catch(async () => check(false, `the desk does not name the duty leader: ${await page.textContent('#on-duty')}`));
    result.desk.on_duty = await page.textContent('#on-duty');
    // The monitoring stations, coloured by what they say now.
    await waitFor(page, 'the stations on the map', () => window.probe.map.getLayer('stations-dot')
      && window.probe.map.queryRenderedFeatures({ layers: ['stations-dot'] }).length > 0, null, 30000);
    result.desk.stations = await page.evaluate(() => new Set(window.probe.map.queryRenderedFeatures({ layers: ['stations-dot'] })
      .map((f) => f.properties.colour)).size);
    check(result.desk.stations >= 2, `the stations are drawn in ${result.desk.stations} colours`);
    // The open alarms, and the spill's source traced up the river.
    await waitFor(page, 'the alarms', () => Number(document.getElementById('alarm-list').dataset.open) > 0, null, 30000);
    await page.click('#alarm-list [data-act="sources"]');
    await waitFor(page, 'the traced source', () => document.getElementById('alarm-finding')?.textContent, null, 30000);
    result.desk.traced = await page.textContent('#alarm-finding');
    check(result.desk.traced.includes('上游'), `the source traced: ${result.desk.traced}`);
    // A station's last two days, one small chart a quantity.
    await page.evaluate(() => window.probe.popup?.remove());
    await waitFor(page, 'the map at rest', () => !window.probe.map.isMoving() && window.probe.map.areTilesLoaded(), null, 30000);
    const dot = await page.evaluate(() => {
      const map = window.probe.map;
      const f = map.queryRenderedFeatures({ layers: ['stations-dot'] }).find((x) => { const p = map.project(x.geometry.coordinates); return p.x > 20 && p.y > 20 && p.x < 1000 && p.y < 860; });
      const p = map.project(f.geometry.coordinates);
      return { x: p.x, y: p.y };
    });
    await page.mouse.click(dot.x, dot.y);
    await waitFor(page, 'the station chart', () => window.probe.stationChart?.getOption().series.length > 0, null, 30000);
    result.desk.station_series = await page.evaluate(() => window.probe.stationChart.getOption().series.length);
    // The incident's emergency monitoring: readings against the prediction.
    await page.click(`#duty-incidents li[data-id="${riverIncidentId}"]`);
    await waitFor(page, 'the monitoring chart', () => document.querySelector('#duty-detail .monitoring-chart canvas'), null, 30000);
    result.desk.monitoring = await page.textContent('#duty-detail .monitoring .popup-sub');
    await page.screenshot({ path: `${target}/desk-1440x900.png` });
    check(!page.errors.length, `desk errors: ${page.errors}`);
    await context.close();
  }

  // ---- the phone -------------------------------------------------------------------------------
  {
    const here = { longitude: 107.0812, latitude: 29.8601 };
    const { context, page } = await open({ width: 390, height: 844 }, officerToken,
      { geolocation: here, permissions: ['geolocation'], isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const encodings = [];
    // An empty tile is a 204; one of a few bytes is not worth compressing (tower-http leaves
    // bodies under 32 bytes).
    page.on('response', (r) => {
      if (!r.url().includes('/tiles/onemap/')) return;
      const h = r.headers();
      encodings.push(r.status() === 204 ? 'empty' : h['content-encoding'] ?? (Number(h['content-length']) <= 32 ? 'tiny' : 'none'));
    });
    await page.goto(`${base}/`);
    await waitFor(page, 'the phone page', () => window.probe?.firstScreenMs && window.probe.phone, null, 90000);
    result.phone.first_screen_ms = await page.evaluate(() => Math.round(window.probe.firstScreenMs));
    await waitFor(page, 'the service worker keeping the first map', () => navigator.serviceWorker.controller && window.probe.kept);
    result.phone.tiles_gzip = `${encodings.filter((e) => e === 'gzip').length} of ${encodings.length} (the rest empty or under 32 bytes)`;
    check(encodings.some((e) => e === 'gzip') && encodings.every((e) => e !== 'none'), `tiles not gzip-compressed: ${encodings}`);

    // The map full screen with the sheet closed; every control big enough for a thumb.
    const share = () => page.evaluate(() => {
      const area = (r) => Math.max(0, r.width) * Math.max(0, r.height);
      const overlap = (a, b) => area({ width: Math.min(a.right, b.right) - Math.max(a.left, b.left), height: Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) });
      const map = document.getElementById('map').getBoundingClientRect();
      const screen = { left: 0, top: 0, right: innerWidth, bottom: innerHeight };
      let covered = 0;
      for (const id of ['panel', 'field-actions', 'field-status']) {
        const el = document.getElementById(id);
        if (el && getComputedStyle(el).display !== 'none') covered += overlap(map, el.getBoundingClientRect());
      }
      return (overlap(map, screen) - covered) / area({ width: innerWidth, height: innerHeight });
    });
    result.phone.map_share = Math.round((await share()) * 1000) / 1000;
    check(result.phone.map_share >= 0.7, `the map shows on ${result.phone.map_share} of the phone's screen`);
    let layout = await page.evaluate(LAYOUT);
    check(!layout.offscreen.length, `phone elements off screen: ${layout.offscreen}`);
    let small = await page.evaluate(SMALL_TARGETS);
    check(!small.length, `phone touch targets under 44 px: ${small}`);
    await page.click('#sheet-handle');
    await page.waitForFunction(() => document.body.classList.contains('sheet-open'));
    small = await page.evaluate(SMALL_TARGETS);
    check(!small.length, `touch targets under 44 px in the sheet: ${small.slice(0, 10)}`);
    layout = await page.evaluate(LAYOUT);
    check(!layout.offscreen.length, `sheet elements off screen: ${layout.offscreen}`);
    await page.screenshot({ path: `${target}/phone-sheet.png` });
    await page.click('#sheet-handle');

    // Where am I: the browser's position, on the map.
    await page.click('#field-where');
    await waitFor(page, 'my position', () => document.getElementById('field-status').textContent.includes('我的位置'));
    await waitFor(page, 'the map at my position', () => !window.probe.map.isMoving() && window.probe.map.areTilesLoaded());
    const centre = await page.evaluate(() => window.probe.map.getCenter());
    check(Math.hypot(centre.lng - here.longitude, centre.lat - here.latitude) < 0.01, `where am I: centred at ${JSON.stringify(centre)}`);
    await page.screenshot({ path: `${target}/phone-390x844.png` });

    // A photo, drawn in the page and encoded as JPEG by the browser.
    const photo = Buffer.from(await page.evaluate(() => {
      const c = document.createElement('canvas');
      c.width = 640; c.height = 480;
      const g = c.getContext('2d');
      g.fillStyle = '#6b8e23'; g.fillRect(0, 0, 640, 480);
      g.fillStyle = '#222'; g.fillRect(120, 200, 400, 120);
      g.fillStyle = '#ffeb3b'; g.font = '48px sans-serif'; g.fillText('现场 onemap', 150, 150);
      return c.toDataURL('image/jpeg', 0.85).split(',')[1];
    }), 'base64');

    // The network goes: the page still opens, from what the service worker kept.
    await context.setOffline(true);
    await page.reload();
    await waitFor(page, 'the page opened offline', () => window.probe?.ready && window.probe.phone, null, 60000);
    await waitFor(page, 'the map drawn offline', () => window.probe.map.loaded() && window.probe.map.areTilesLoaded(), null, 60000);
    result.phone.offline_features = await page.evaluate(() => window.probe.map.queryRenderedFeatures().length);
    check(result.phone.offline_features > 0, 'offline, the phone shows no map');

    // A report filed offline, with its photo: it waits.
    const name = `手机离线上报 ${Date.now()}`;
    result.phone.report_name = name;
    await page.click('#field-report');
    await page.waitForSelector('#field-dialog[open]');
    await page.fill('#field-dialog [name=name]', name);
    await page.fill('#field-dialog [name=summary]', '河面油膜约 200 米');
    await page.fill('#field-dialog [name=measures]', '已布设围油栏');
    await page.fill('#field-dialog [name=contact]', '现场 13800000000');
    await page.setInputFiles('#field-dialog [name=photos]', { name: 'scene.jpg', mimeType: 'image/jpeg', buffer: photo });
    small = await page.evaluate(SMALL_TARGETS);
    check(!small.length, `touch targets under 44 px in the report form: ${small}`);
    await page.screenshot({ path: `${target}/phone-report.png` });
    await page.click('#field-dialog button[type=submit]');
    await waitFor(page, 'the report in the outbox', () => window.probe.phone.waiting === 1);
    check((await call(`/api/layers/incident?q=${encodeURIComponent(name)}`)).body.features.length === 0, 'the report went out while offline');

    // Back online, the first answer is lost on the way (the server did the write): the resend
    // carries the same key and gets the same incident, not a second one.
    let lost = null;
    await page.route('**/api/layers/incident', async (route) => {
      if (lost === null && route.request().method() === 'POST') {
        const response = await route.fetch();
        lost = response.status();
        await route.abort('connectionreset');
      } else {
        await route.continue();
      }
    });
    await context.setOffline(false);
    await waitFor(page, 'the outbox sent', () => window.probe.phone.waiting === 0, null, 60000);
    result.phone.lost_answer_status = lost;
    check(lost === 201, `the first sending was not made and lost: ${lost}`);

    // The inspection of the nearest risk source, with the same photo, offline too: the risk
    // sources near me come from the map's tiles, and it waits in the outbox.
    await context.setOffline(true);
    await page.click('#field-inspect');
    await page.waitForSelector('#field-dialog[open]');
    const source = await page.$eval('#field-dialog [name=source]', (s) => ({ id: Number(s.value), options: s.options.length }));
    const finding = `围堰破损 ${Date.now()}`;
    await page.fill('#field-dialog [name=finding]', finding);
    await page.setInputFiles('#field-dialog [name=photos]', { name: 'dike.jpg', mimeType: 'image/jpeg', buffer: photo });
    const sentBefore = await page.evaluate(() => window.probe.phone.sent);
    await page.click('#field-dialog button[type=submit]');
    await waitFor(page, 'the inspection in the outbox', () => window.probe.phone.waiting === 1);
    await context.setOffline(false);
    await waitFor(page, 'the inspection sent', (n) => window.probe.phone.sent === n + 1 && window.probe.phone.waiting === 0, sentBefore, 60000);
    const { body: inspections } = await call(`/api/layers/inspection?risk_source_id=${source.id}&limit=1000`);
    const filed = inspections.features.filter((f) => f.properties.finding === finding);
    check(filed.length === 1, `inspection filed ${filed.length} times`);
    const { body: photos } = await call(`/api/attachments?record=inspection&record_id=${filed[0].id}`);
    check(photos.attachments.length === 1 && photos.attachments[0].metadata === 'stripped', `inspection photos: ${JSON.stringify(photos)}`);
    result.phone.inspection = { risk_source: source.id, choices: source.options, photos: photos.attachments.length };

    // My orders (我的指令), fetched while online; then done offline, sent once the network is back.
    await page.click('#field-orders');
    await page.waitForSelector('#field-dialog[open]');
    await page.click('#field-cancel');
    await context.setOffline(true);
    await page.click('#field-orders');
    await page.waitForSelector('#field-dialog[open]');
    result.phone.orders = await page.$$eval('#field-dialog [name=order] option', (o) => o.map((x) => x.textContent));
    check(result.phone.orders.some((o) => o.includes('布设围油栏')), `my orders offline: ${result.phone.orders}`);
    await page.selectOption('#field-dialog [name=step]', 'done');
    await page.fill('#field-dialog [name=note]', '围油栏已布设');
    await page.setInputFiles('#field-dialog [name=photos]', { name: 'boom.jpg', mimeType: 'image/jpeg', buffer: photo });
    const sentBeforeOrder = await page.evaluate(() => window.probe.phone.sent);
    await page.click('#field-dialog button[type=submit]');
    await waitFor(page, 'the order in the outbox', () => window.probe.phone.waiting === 1);
    await context.setOffline(false);
    await waitFor(page, 'the order sent', (n) => window.probe.phone.sent === n + 1 && window.probe.phone.waiting === 0, sentBeforeOrder, 60000);

    // A reading at the nearest emergency sampling point (现场监测): the points fetched online,
    // the reading entered offline, sent once the network is back.
    await page.click('#field-reading');
    await page.waitForSelector('#field-dialog[open]');
    await page.click('#field-cancel');
    await context.setOffline(true);
    await page.click('#field-reading');
    await page.waitForSelector('#field-dialog[open]');
    result.phone.reading_at = await page.$eval('#field-dialog [name=stream]', (s) => s.selectedOptions[0].textContent);
    await page.fill('#field-dialog [name=value]', '23.4');
    const sentBeforeReading = await page.evaluate(() => window.probe.phone.sent);
    await page.click('#field-dialog button[type=submit]');
    await waitFor(page, 'the reading in the outbox', () => window.probe.phone.waiting === 1);
    await context.setOffline(false);
    await waitFor(page, 'the reading sent', (n) => window.probe.phone.sent === n + 1 && window.probe.phone.waiting === 0, sentBeforeReading, 60000);
    check(!page.errors.length, `phone errors: ${page.errors}`);
    check(!page.outside.length, `phone fetched from outside: ${page.outside}`);
    await context.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
