// The one-map viewer: MapLibre GL JS (vendored) over onemap's own tiles, style and API.
import * as maplibregl from '/vendor/maplibre-gl.mjs';
import { esc } from './api.js';
import { CJK_FONTS, circle, overlays } from './draw.js';
import { startDuty } from './duty.js';
import { startCoverage } from './coverage.js';
import { startIntercept } from './intercept.js';
import { startPhone } from './phone.js';
import { startPlume } from './plume.js';
import { startWarnings } from './warnings.js';
import { showStats } from './stats.js';
import * as words from './words.js';
import { startWorkspaces } from './workspaces.js';

const SEARCH_LAYERS = ['risk_source', 'receptor', 'depot', 'team', 'district'];

const state = { ready: false, version: 0, changes: 0, selected: null, popup: null };
window.onemap = state;

// The service worker keeps the page and the last map seen, for a phone that loses the network.
if ('serviceWorker' in navigator) {
  state.serviceWorker = navigator.serviceWorker.register('/sw.js').catch((err) => console.warn('no service worker', err));
  // On the first visit the page read its map before the worker took over: it keeps that now.
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    const kept = ['/tiles/', '/style.json', '/api/me', '/api/words', '/api/layers', '/api/overview', '/api/warnings', '/api/incidents/', '/api/attachments'];
    const urls = performance.getEntriesByType('resource').map((e) => e.name)
      .filter((u) => u.startsWith(location.origin) && kept.some((p) => new URL(u).pathname.startsWith(p)));
    const channel = new MessageChannel();
    channel.port1.onmessage = () => { state.kept = true; };
    navigator.serviceWorker.controller?.postMessage({ keep: [...new Set(urls)] }, [channel.port2]);
  });
}

// ---- who is signed in: the sign-in form, and only the controls the role may use -----------------

async function account() {
  const me = await (await fetch('/api/me')).json();
  state.me = me;
  document.getElementById('sign-in').hidden = Boolean(me.user);
  document.getElementById('signed-in').hidden = !me.user;
  if (me.user) {
    const where = me.district_name ? ` · ${me.district_name}` : '';
    document.getElementById('who').textContent = `${me.user}（${words.label('role', me.role)}${where}）`;
  }
  for (const el of document.querySelectorAll('[data-needs]')) el.hidden = !me.may.includes(el.dataset.needs);
  document.body.classList.toggle('signed-out', !me.may.includes('read'));
  return me;
}

document.getElementById('sign-in').addEventListener('submit', async (e) => {
  e.preventDefault();
  const response = await fetch('/api/session', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username: document.getElementById('sign-in-name').value,
      password: document.getElementById('sign-in-password').value,
      code: document.getElementById('sign-in-code').value || undefined,
    }),
  });
  if (response.ok) { location.reload(); return; }
  const body = await response.json().catch(() => ({}));
  document.getElementById('sign-in-error').textContent = body.code_required ? '请填写六位动态口令' : (body.detail ?? '登录失败');
  if (body.code_required) document.getElementById('sign-in-code').focus();
});
document.getElementById('sign-out').addEventListener('click', async () => {
  await fetch('/api/session', { method: 'DELETE' });
  navigator.serviceWorker?.controller?.postMessage('forget');
  location.reload();
});

// Without a credential (and without public read) the map waits for a sign-in, which reloads the page.
await words.loadWords();
// Choices in the catalogue's words: a new incident's severity and kind, the teams an interception sends.
const options = (vocabulary, codes, selected, suffix = '') => codes.map((c) =>
  `<option value="${esc(c)}"${c === selected ? ' selected' : ''}>${esc(words.label(vocabulary, c))}${suffix}</option>`).join('');
document.getElementById('new-incident-severity').innerHTML = options('severity', words.codes('severity'), '较大');
document.getElementById('new-incident-kind').innerHTML = options('incident_kind', words.codes('incident_kind'));
document.getElementById('intercept-send').insertAdjacentHTML('beforeend', options('specialty', ['water', 'hazmat'], null, '救援队'));
if (!(await account()).may.includes('read')) await new Promise(() => {});
state.openWorkspace = startWorkspaces(state.me);

const map = new maplibregl.Map({
  container: 'map',
  style: '/style.json',
  localIdeographFontFamily: CJK_FONTS,
  attributionControl: { compact: true },
  hash: true,
});
state.map = map;
const overlay = overlays(map);
map.addControl(new maplibregl.NavigationControl(), 'top-left');
map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');

function propertyRows(layer, props) {
  return Object.entries(props)
    .filter(([k, v]) => v !== null && v !== '' && k !== 'layer')
    .map(([k, v]) => {
      let text;
      if (k === 'substances' && Array.isArray(v)) {
        text = v.map((s) => `${s.name} ${s.quantity_t}t（临界量 ${s.threshold_t}t）`).join('；');
      } else if (Array.isArray(v)) {
        text = v.map((x) => words.shown(x, layer, k)).join('、');
      } else {
        text = words.shown(v, layer, k);
      }
      return `<tr><td>${esc(words.fieldName(k))}</td><td>${esc(text)}</td></tr>`;
    })
    .join('');
}

/** Thumbnails of the photos of an incident (with its reports') or an inspection, linked to the file. */
async function photosOf(layer, id) {
  const query = layer === 'incident' ? `incident_id=${id}` : layer === 'inspection' ? `record=inspection&record_id=${id}` : null;
  if (!query) return '';
  const list = (await fetch(`/api/attachments?${query}`).then((r) => (r.ok ? r.json() : null)).catch(() => null))?.attachments ?? [];
  return list.length ? `<div class="photos">${list.map((a) => `<a href="${esc(a.href)}" target="_blank" rel="noopener">`
    + `<img src="${esc(a.href)}" alt="${esc(a.caption ?? a.file_name)}" loading="lazy"></a>`).join('')}</div>` : '';
}

function select(layer, id) {
  if (state.selected) map.setFeatureState({ source: 'onemap', sourceLayer: state.selected.layer, id: state.selected.id }, { selected: false });
  state.selected = layer ? { layer, id } : null;
  if (layer) map.setFeatureState({ source: 'onemap', sourceLayer: layer, id }, { selected: true });
}

async function showFeature(layer, id, lngLat) {
  select(layer, id);
  const response = await fetch(`/api/layers/${layer}/${id}`);
  const feature = response.ok ? await response.json() : null;
  const props = feature ? feature.properties : {};
  const html = `<div class="popup-title">${esc(props.name ?? props.item ?? words.label('map_layer', layer))}</div>
    <div class="popup-layer">${esc(words.label('map_layer', layer))} #${id}</div>
    <table class="popup-table">${propertyRows(layer, props)}</table>${await photosOf(layer, id)}`;
  if (state.popup) state.popup.remove();
  state.popup = new maplibregl.Popup({ maxWidth: '360px' }).setLngLat(lngLat).setHTML(html).addTo(map);
  state.popup.on('close', () => select(null));
  state.lastPopup = { layer, id, name: props.name ?? null };
}

function centerOf(geometry) {
  const coords = [];
  const walk = (c) => (typeof c[0] === 'number' ? coords.push(c) : c.forEach(walk));
  walk(geometry.coordinates);
  const xs = coords.map((c) => c[0]);
  const ys = coords.map((c) => c[1]);
  return [(Math.min(...xs) + Math.max(...xs)) / 2, (Math.min(...ys) + Math.max(...ys)) / 2];
}

// ---- layers and legend ------------------------------------------------------------------------
function buildLayerSwitcher() {
  const container = document.getElementById('layers');
  const groups = {};
  for (const l of map.getStyle().layers) {
    if (l['source-layer']) (groups[l['source-layer']] ??= []).push(l.id);
  }
  for (const [sourceLayer, ids] of Object.entries(groups)) {
    const label = document.createElement('label');
    label.className = 'layer-toggle';
    const visible = map.getLayoutProperty(ids[0], 'visibility') !== 'none';
    label.innerHTML = `<input type="checkbox" ${visible ? 'checked' : ''} data-layer="${sourceLayer}"> ${esc(words.label('map_layer', sourceLayer))}`;
    label.querySelector('input').addEventListener('change', (e) => {
      for (const id of ids) map.setLayoutProperty(id, 'visibility', e.target.checked ? 'visible' : 'none');
    });
    container.appendChild(label);
  }
}

function buildLegend() {
  const legend = map.getStyle().metadata?.['onemap:legend'] ?? {};
  document.getElementById('legend').innerHTML = Object.values(legend)
    .map((g) => `<div class="legend-group"><div class="legend-title">${esc(g.title)}</div>${g.items
      .map(([name, colour]) => `<span class="legend-item"><span class="swatch" style="background:${colour}"></span>${esc(name)}</span>`)
      .join('')}</div>`)
    .join('');
}

// ---- clicks: popup, or "what is around here" ----------------------------------------------------
const clickable = () => map.getStyle().layers.filter((l) => l['source-layer'] && l.type !== 'symbol' && l.id !== 'district-fill').map((l) => l.id);

map.on('click', (e) => {
  if (state.placing === 'incident') return createIncident(e.lngLat);
  if (state.placing === 'plume') return state.plume.click(e.lngLat);
  if (state.placing === 'intercept') return state.intercept.click(e.lngLat);
  if (state.placing) return dispatch(e.lngLat);
  if (document.getElementById('trace-mode').checked) return traceRiver(e.lngLat);
  if (document.getElementById('around-mode').checked) return around(e.lngLat);
  const hits = map.queryRenderedFeatures(e.point, { layers: clickable() });
  const hit = hits[0] ?? map.queryRenderedFeatures(e.point, { layers: ['district-fill'] })[0];
  if (hit?.source === 'risk') return showRisk(hit, e.lngLat);
  if (hit) showFeature(hit.sourceLayer, hit.id, e.lngLat);
});
map.on('contextmenu', (e) => around(e.lngLat));
map.on('mousemove', (e) => {
  map.getCanvas().style.cursor = map.queryRenderedFeatures(e.point, { layers: clickable() }).length ? 'pointer' : '';
});

/**
 * Fetches `url` for a side panel: empties its list, and on an error shows the problem's detail
 * (with the field at fault) in its summary and returns null; otherwise returns the parsed body.
 */
async function panelFetch(url, options, summaryId, listId) {
  const response = await fetch(url, options);
  const body = await response.json();
  if (listId) document.getElementById(listId).innerHTML = '';
  if (!response.ok) {
    document.getElementById(summaryId).textContent = `${body.detail ?? '查询失败'}${body.field ? `（${body.field}）` : ''}`;
    return null;
  }
  return body;
}

async function around(lngLat) {
  const radius = Number(document.getElementById('radius').value);
  const url = `/api/around?lon=${lngLat.lng.toFixed(6)}&lat=${lngLat.lat.toFixed(6)}&radius_m=${radius}`;
  const body = await panelFetch(url, undefined, 'around-summary', 'around-results');
  if (!body) return;
  const summary = document.getElementById('around-summary');
  const list = document.getElementById('around-results');
  overlay('around', { type: 'FeatureCollection', features: [circle([lngLat.lng, lngLat.lat], radius)] },
    [{ id: 'around-area', type: 'line', paint: { 'line-color': '#c51b7d', 'line-width': 2, 'line-dasharray': [2, 1] } }]);
  summary.textContent = `${lngLat.lng.toFixed(4)}, ${lngLat.lat.toFixed(4)} 周边 ${radius / 1000} 公里内：${body.features.length} 个`;
  for (const f of body.features) {
    const li = document.createElement('li');
    const p = f.properties;
    const key = ['kind', 'grade', 'tier', 'status'].find((k) => p[k] !== null && p[k] !== undefined);
    li.innerHTML = `${esc(p.name)}<span class="meta">${esc(words.label('map_layer', p.layer))} · ${esc(key ? words.shown(p[key], p.layer, key) : '')} · ${Math.round(p.distance_m)} 米</span>`;
    li.addEventListener('click', () => {
      const c = centerOf(f.geometry);
      map.flyTo({ center: c, zoom: Math.max(map.getZoom(), 12) });
      showFeature(p.layer, f.id, { lng: c[0], lat: c[1] });
    });
    list.appendChild(li);
  }
  state.lastAround = body;
}

// ---- dispatch: nearest depots or teams by road --------------------------------------------------
document.getElementById('dispatch-place').addEventListener('click', () => {
  state.placing = true;
  map.getCanvas().style.cursor = 'crosshair';
  document.getElementById('dispatch-summary').textContent = '请在地图上单击事件位置';
});

/** Draws an incident and routes (features with role incident / route and a rank). */
function showRoutes(data) {
  overlay('dispatch', data, [
    { id: 'dispatch-route', type: 'line', filter: ['==', ['get', 'role'], 'route'],
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': ['case', ['==', ['get', 'rank'], 1], '#d7301f', '#fc8d59'], 'line-width': ['case', ['==', ['get', 'rank'], 1], 5, 3], 'line-opacity': 0.85 } },
    { id: 'dispatch-incident', type: 'circle', filter: ['==', ['get', 'role'], 'incident'],
      paint: { 'circle-color': '#b30000', 'circle-radius': 8, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } },
  ]);
}

async function dispatch(lngLat) {
  state.placing = false;
  map.getCanvas().style.cursor = '';
  const find = document.getElementById('dispatch-find').value;
  const what = document.getElementById('dispatch-what').value.trim();
  const request = { point: [lngLat.lng, lngLat.lat], find, count: Number(document.getElementById('dispatch-count').value) || 5,
    hazmat: document.getElementById('dispatch-hazmat').checked };
  if (what) request[find === 'depot' ? 'item' : 'specialty'] = what;
  const body = await panelFetch('/api/nearest', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) },
    'dispatch-summary', 'dispatch-results');
  if (!body) return;
  const summary = document.getElementById('dispatch-summary');
  const list = document.getElementById('dispatch-results');
  const features = [{ type: 'Feature', geometry: { type: 'Point', coordinates: body.incident.snapped }, properties: { role: 'incident' } }];
  for (const r of body.results) features.push({ type: 'Feature', geometry: r.path, properties: { role: 'route', rank: r.rank } });
  showRoutes({ type: 'FeatureCollection', features });
  summary.textContent = `事件点吸附到道路（${body.incident.snap_distance_m} 米），候选 ${body.candidates} 个，按道路行程时间排序：`;
  for (const r of body.results) {
    const li = document.createElement('li');
    const extra = find === 'depot' ? `可用 ${r.about.free} ${r.about.unit ?? ''}` : `${r.about.headcount} 人`;
    li.innerHTML = `${esc(r.name)}<span class="meta">${r.minutes} 分钟 · ${(r.metres / 1000).toFixed(1)} 公里 · ${esc(extra)}</span>`;
    li.addEventListener('click', () => map.flyTo({ center: r.location, zoom: Math.max(map.getZoom(), 10) }));
    list.appendChild(li);
  }
  if (!body.results.length) list.innerHTML = '<li>没有可达的候选</li>';
  state.lastDispatch = body;
}

// ---- incidents: a plan by road and stock, then commit it -------------------------------------------
const SPECIALTIES = ['hazmat', 'water', 'air', 'monitoring', 'fire', 'medical', 'engineering'];
const post = (url, body) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function loadIncidents(select) {
  const response = await fetch('/api/layers/incident?status=open&limit=1000');
  const body = await response.json();
  const list = document.getElementById('plan-incident');
  list.innerHTML = (body.features ?? [])
    .map((f) => `<option value="${f.id}">${esc(f.properties.name)}（${esc(f.properties.severity)}）</option>`).join('');
  if (select) list.value = String(select);
}

document.getElementById('new-incident').addEventListener('click', () => {
  state.placing = 'incident';
  map.getCanvas().style.cursor = 'crosshair';
  document.getElementById('plan-summary').textContent = '请在地图上单击事件位置';
});

async function createIncident(lngLat) {
  state.placing = false;
  map.getCanvas().style.cursor = '';
  const properties = { name: document.getElementById('new-incident-name').value.trim() || '未命名事件',
    severity: document.getElementById('new-incident-severity').value, kind: document.getElementById('new-incident-kind').value };
  const response = await post('/api/layers/incident', { type: 'Feature', geometry: { type: 'Point', coordinates: [lngLat.lng, lngLat.lat] }, properties });
  const body = await response.json();
  if (!response.ok) {
    document.getElementById('plan-summary').textContent = body.detail ?? '新建失败';
    return;
  }
  await loadIncidents(body.id);
  document.getElementById('plan-summary').textContent = `已新建事件 ${properties.name}`;
}

/** "活性炭 20 t" → item demand; "hazmat 2" → team demand. */
function parseDemands(text) {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).map((line) => {
    const [what, amount, unit] = line.split(/\s+/);
    if (SPECIALTIES.includes(what)) return { specialty: what, count: Number(amount) };
    const demand = { item: what, quantity: Number(amount) };
    if (unit) demand.unit = unit;
    return demand;
  });
}

function drawPlan(incident) {
  const features = [{ type: 'Feature', geometry: { type: 'Point', coordinates: incident.snap.snapped }, properties: { role: 'incident' } }];
  incident.shipments.forEach((s, i) => features.push({ type: 'Feature', geometry: s.path, properties: { role: 'route', rank: i + 1 } }));
  showRoutes({ type: 'FeatureCollection', features });
}

document.getElementById('plan-make').addEventListener('click', async () => {
  const id = document.getElementById('plan-incident').value;
  const summary = document.getElementById('plan-summary');
  const list = document.getElementById('plan-results');
  list.innerHTML = '';
  state.plan = null;
  document.getElementById('plan-commit').disabled = true;
  if (!id) { summary.textContent = '请先选择或新建事件'; return; }
  const request = { demands: parseDemands(document.getElementById('plan-demands').value), hazmat: document.getElementById('dispatch-hazmat').checked };
  const body = await panelFetch(`/api/incidents/${id}/plan`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) },
    'plan-summary');
  if (!body) return;
  for (const d of body.demands) {
    const li = document.createElement('li');
    const what = d.specialty ? `${d.specialty} 队伍 ${d.count} 支` : `${d.item ?? d.category} ${d.quantity} ${d.unit}`;
    const when = d.minutes === null ? '无法满足' : `${d.minutes} 分钟内${d.short > 0 ? `到达 ${d.met}，缺 ${d.short}` : '全部到达'}`;
    const from = d.from.map((f) => `${esc(f.name)}${f.quantity !== undefined ? ` ${f.quantity}` : ''}（${Math.round(f.seconds / 6) / 10} 分钟）`).join('、');
    li.innerHTML = `${esc(what)}：${esc(when)}<span class="meta">${from}</span>`;
    list.appendChild(li);
  }
  summary.textContent = `方案：${body.shipments.length} 个批次（储备库与队伍），按道路行程时间`;
  drawPlan(body);
  state.plan = body;
  document.getElementById('plan-commit').disabled = body.shipments.length === 0;
});

document.getElementById('plan-commit').addEventListener('click', async () => {
  const plan = state.plan;
  if (!plan) return;
  const summary = document.getElementById('plan-summary');
  const shipments = plan.shipments.map((s) => (s.depot_id ? { depot_id: s.depot_id, items: s.items } : { team_id: s.team_id }));
  const response = await post(`/api/incidents/${plan.id}/dispatch`, { shipments, hazmat: document.getElementById('dispatch-hazmat').checked });
  const body = await response.json();
  document.getElementById('plan-commit').disabled = true;
  if (!response.ok) {
    const short = (body.short ?? []).map((s) => `${s.item} 现可用 ${s.free}`).join('、');
    summary.textContent = `${body.detail ?? '调度失败'}${short ? `：${short}` : ''}；请重新生成方案`;
    return;
  }
  state.committed = body;
  summary.textContent = `已调度 ${body.dispatches.length} 个批次，物资已预留，队伍已出动`;
});

loadIncidents();

// ---- risk maps: why a cell is risky; where a spill goes ---------------------------------------------
async function showRisk(hit, lngLat) {
  const p = hit.properties;
  let html = `<div class="popup-title">${esc(words.label('map_layer', hit.sourceLayer))}：${esc(p.name ?? '')}</div>
    <div class="popup-layer">风险指数 ${p.index} · ${esc(p.class)}</div>`;
  if (hit.sourceLayer === 'risk_grid') {
    const cell = await (await fetch(`/api/risk/cells/${encodeURIComponent(p.name)}`)).json();
    state.lastCell = cell;
    html += `<table class="popup-table">${cell.sources.slice(0, 5)
      .map((s) => `<tr><td>${esc(s.name)}</td><td>${esc(s.grade ?? '未分级')} · 危害 ${s.hazard} × 暴露 ${s.exposure}</td></tr>`).join('')}
      ${cell.receptors.slice(0, 5).map((r) => `<tr><td>${esc(r.name)}</td><td>${esc(words.label('receptor_kind', r.kind))} · 贡献 ${r.contribution}</td></tr>`).join('')}</table>`;
  }
  if (state.popup) state.popup.remove();
  state.popup = new maplibregl.Popup({ maxWidth: '380px' }).setLngLat(lngLat).setHTML(html).addTo(map);
}

async function traceRiver(lngLat) {
  const hours = Number(document.getElementById('trace-hours').value) || 24;
  const body = await panelFetch(`/api/rivers/downstream?lon=${lngLat.lng}&lat=${lngLat.lat}&hours=${hours}`, undefined, 'trace-summary', 'trace-results');
  if (!body) return;
  const summary = document.getElementById('trace-summary');
  const list = document.getElementById('trace-results');
  overlay('trace', { type: 'FeatureCollection', features: body.features },
    [{ id: 'trace-line', type: 'line', layout: { 'line-cap': 'round' }, paint: { 'line-color': '#7a0177', 'line-width': 6, 'line-opacity': 0.8 } }]);
  summary.textContent = `${hours} 小时内污染带到达 ${body.features.length} 段河道，沿岸目标 ${body.receptors.length} 个（取水口优先）：`;
  for (const r of body.receptors) {
    const li = document.createElement('li');
    li.innerHTML = `${esc(r.name)}<span class="meta">${esc(words.label('receptor_kind', r.kind))} · ${r.hours} 小时 · 沿河 ${(r.metres_along / 1000).toFixed(1)} 公里</span>`;
    list.appendChild(li);
  }
  state.lastTrace = body;
  state.lastTracePoint = [lngLat.lng, lngLat.lat];
  state.lastTraceHours = hours;
  document.getElementById('trace-warn').disabled = body.features.length === 0;
}

// ---- search by name -----------------------------------------------------------------------------
document.getElementById('search').addEventListener('submit', async (e) => {
  e.preventDefault();
  const text = document.getElementById('search-text').value.trim();
  const list = document.getElementById('search-results');
  list.innerHTML = '';
  if (!text) return;
  const pages = await Promise.all(SEARCH_LAYERS.map((l) => fetch(`/api/layers/${l}?q=${encodeURIComponent(text)}&limit=10`).then((r) => r.json())));
  pages.forEach((page, i) => {
    for (const f of page.features ?? []) {
      const li = document.createElement('li');
      li.innerHTML = `${esc(f.properties.name)}<span class="meta">${esc(words.label('map_layer', SEARCH_LAYERS[i]))}</span>`;
      li.addEventListener('click', () => {
        const c = centerOf(f.geometry);
        map.flyTo({ center: c, zoom: Math.max(map.getZoom(), 11) });
        showFeature(SEARCH_LAYERS[i], f.id, { lng: c[0], lat: c[1] });
      });
      list.appendChild(li);
    }
  });
  if (!list.children.length) list.innerHTML = '<li>未找到</li>';
});

// ---- live updates -----------------------------------------------------------------------------
function refreshTiles() {
  state.version += 1;
  const source = map.getSource('onemap');
  const template = `${location.origin}/tiles/onemap/{z}/{x}/{y}.mvt?v=${state.version}`;
  if (source) source.setTiles([template]);
}

function listen() {
  const events = new EventSource('/api/events');
  const status = document.getElementById('status');
  events.addEventListener('open', () => { status.textContent = '实时更新：已连接'; });
  events.addEventListener('error', () => { status.textContent = '实时更新：重新连接中…'; });
  const onChange = (e) => {
    state.changes += 1;
    state.lastChange = e.data;
    refreshTiles();
    status.textContent = `实时更新：已连接（${new Date().toLocaleTimeString('zh-CN')} 数据更新）`;
  };
  events.addEventListener('change', onChange);
  events.addEventListener('reload', onChange);
  // The duty desk hears of incidents, reports, deadlines and dispatches.
  for (const kind of ['change', 'incident', 'report', 'report_due', 'dispatch', 'warning', 'reload']) {
    events.addEventListener(kind, (e) => {
      state.lastEvent = { kind, id: e.lastEventId };
      const data = JSON.parse(e.data);
      state.duty?.panel?.onEvent(kind, data);
      state.warningsPanel?.onEvent(kind, data);
    });
  }
  // After a reconnect, changes may have been missed.
  events.addEventListener('open', () => { if (state.ready) refreshTiles(); });
}

document.getElementById('trace-warn').addEventListener('click', async () => {
  const summary = document.getElementById('trace-summary');
  try {
    const issued = await state.warningsPanel.fromTrace(state.lastTracePoint, state.lastTraceHours);
    summary.textContent = `已发布${issued.properties.level}色预警：${issued.properties.headline}`;
  } catch (err) {
    summary.textContent = err.message;
  }
});

document.getElementById('stats-open').addEventListener('click', async () => {
  document.getElementById('stats').hidden = false;
  await showStats(state);
});

map.on('load', () => {
  buildLayerSwitcher();
  buildLegend();
  const panel = startDuty({ map, may: state.me.may, overlay, onemap: state });
  state.plume = startPlume({ map, overlay, onemap: state });
  state.intercept = startIntercept({ map, overlay, onemap: state, may: state.me.may });
  state.warningsPanel = startWarnings({ map, overlay, onemap: state, may: state.me.may });
  state.duty.panel = panel;
  startPhone({ map, overlay, onemap: state, may: state.me.may });
  startCoverage({ overlay, onemap: state });
  listen();
  state.ready = true;
  // The first screen is there when its tiles are drawn (printed by the browser test).
  map.once('idle', () => { state.firstScreenMs = performance.now(); });
});
