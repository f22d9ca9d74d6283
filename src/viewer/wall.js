// The command hall's wall: the map filling the screen, the day's figures around it, kept live
// from the feed; "focus on incident" flies to one and follows its spread, dispatches and course.
import * as maplibregl from '/vendor/maplibre-gl.mjs';
import { api, esc } from './api.js';
import { CJK_FONTS, overlays } from './draw.js';
import { listen } from './live.js';
import { state } from './state.js';
import { showStats } from './stats.js';
import { alarmLine } from './alarms.js';
import { startStations } from './stations.js';
import * as words from './words.js';

const wall = Object.assign(state, { overview: null, updates: 0, focus: null });

// The area's bounds and the style come with the first request, so the map opens on the area
// (not on the style's default view, which would load its tiles only to fly away).
const [me, , tiles, style] = await Promise.all([api('/api/me'), words.loadWords(), api('/tiles/onemap.json').catch(() => null), api('/style.json').catch(() => null)]);
if (!me.may.includes('read')) {
  // A wall runs signed in (any role reads) or under public read: until then, its sign-in form.
  document.getElementById('wall-link').textContent = '未登录';
  const form = document.getElementById('wall-sign-in');
  form.hidden = false;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    try {
      await api('/api/session', { method: 'POST', body: { username: data.get('username'), password: data.get('password'), code: data.get('code') || undefined } });
      location.reload();
    } catch (err) {
      document.getElementById('wall-sign-in-error').textContent = err.problem?.detail ?? '登录失败';
    }
  });
  await new Promise(() => {});
}

// The desk's light style, darkened for the hall: dark ground, light lines and type.
const DARK = {
  background: { 'background-color': '#0b1320' },
  'district-fill': { 'fill-color': '#12233a', 'fill-opacity': 0.9 },
  'district-line': { 'line-color': '#4f7fae' },
};
const SIZES = { layout: ['text-size'], paint: ['text-halo-width', 'circle-radius', 'circle-stroke-width', 'line-width'] };

/** A size of the style times `k`: numbers, zoom stops' outputs, or any other expression. */
function scaled(v, k) {
  if (typeof v === 'number') return v * k;
  if (Array.isArray(v) && ['interpolate', 'step'].includes(v[0]) && JSON.stringify(v[v[0] === 'step' ? 1 : 2]) === '["zoom"]') {
    const first = v[0] === 'step' ? 2 : 3;
    return v.map((x, i) => (i >= first && (i - first) % 2 === (v[0] === 'step' ? 0 : 1) ? scaled(x, k) : x));
  }
  return Array.isArray(v) ? ['*', v, k] : v;
}

/**
 * The wall's style: dark, and its type and symbols grown with the screen as the panels are (seen
 * from metres away). Changed before the map gets it, so its tiles are laid out once.
 */
function wallStyle(style) {
  const k = parseFloat(getComputedStyle(document.documentElement).fontSize) / 15;
  for (const layer of style.layers) {
    for (const [part, names] of Object.entries(SIZES)) {
      for (const name of names) if (layer[part]?.[name] !== undefined) layer[part][name] = scaled(layer[part][name], k);
    }
    layer.paint = { ...layer.paint, ...DARK[layer.id] };
    // The hall watches what is going on: closed incidents (the years' record) stay off its map.
    if (layer['source-layer'] === 'incident') layer.filter = ['all', ['==', ['get', 'status'], 'open'], ...(layer.filter ? [layer.filter] : [])];
    if (layer.type === 'symbol') {
      layer.paint['text-color'] = layer.id === 'district-label' ? '#9fd8ff' : '#e6edf5';
      layer.paint['text-halo-color'] = '#0b1320';
    }
  }
  return style;
}

/** The open middle between the columns: where the map centres what it shows. */
const PADDING = (() => {
  const rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
  const side = document.getElementById('wall-left').getBoundingClientRect().right + rem;
  return { left: side, right: side, top: 4 * rem, bottom: 3.5 * rem };
})();
const BOUNDS = tiles?.bounds ? [[tiles.bounds[0], tiles.bounds[1]], [tiles.bounds[2], tiles.bounds[3]]] : undefined;

const map = new maplibregl.Map({
  container: 'map',
  bounds: BOUNDS,
  fitBoundsOptions: { padding: PADDING },
  style: style ? wallStyle(style) : '/style.json',
  localIdeographFontFamily: CJK_FONTS,
  attributionControl: false,
  fadeDuration: 0,
});
wall.map = map;
const overlay = overlays(map);
map.addControl(new maplibregl.AttributionControl({ compact: true }), 'bottom-left');
const mapReady = new Promise((resolve) => map.on('load', resolve));
// When each part of the first screen arrived (printed by the browser test).
wall.timings = { created: Math.round(performance.now()) };
map.once('style.load', () => { wall.timings.style = Math.round(performance.now()); });
map.once('load', () => { wall.timings.load = Math.round(performance.now()); });

/** Back to the whole area. */
function home() {
  if (BOUNDS) map.fitBounds(BOUNDS, { padding: PADDING });
}

const hhmm = (t) => (t ? new Date(t).toLocaleTimeString('zh-CN', { hour12: false, hour: '2-digit', minute: '2-digit' }) : '');
const stat = (n, k, { colour, cls = '' } = {}) => `<div class="stat ${cls}"${colour ? ` style="color:${colour}"` : ''}>`
  + `<span class="n">${esc(n)}</span><span class="k">${esc(k)}</span></div>`;
/** A quantity in a narrow column: 万 above 100,000. */
const num = (x) => (Math.abs(x) >= 100000 ? `${(x / 10000).toFixed(1)}万` : (Math.round(x * 10) / 10).toLocaleString('zh-CN'));

/** Shows as many `items` as `list` has room for, then "n more". */
function fill(list, items, render, more) {
  list.innerHTML = '';
  let shown = 0;
  for (const item of items) {
    const li = render(item);
    list.appendChild(li);
    if (list.parentElement.scrollHeight > list.parentElement.clientHeight + 1) {
      li.remove();
      break;
    }
    shown += 1;
  }
  if (shown < items.length) {
    const li = document.createElement('li');
    li.className = 'more';
    li.textContent = more(items.length - shown);
    // Room for the line: drop the last shown item if the panel overflows.
    list.appendChild(li);
    while (list.parentElement.scrollHeight > list.parentElement.clientHeight + 1 && list.children.length > 1) {
      list.children[list.children.length - 2].remove();
      shown -= 1;
      li.textContent = more(items.length - shown);
    }
  }
  return shown;
}

function deadline(i) {
  if (i.initial_reported_at) return '已初报';
  if (!i.initial_report_due_at) return '';
  const minutes = Math.round((new Date(i.initial_report_due_at) - Date.now()) / 60000);
  return minutes < 0 ? `初报超时 ${words.span(-minutes)}` : `初报剩 ${words.span(minutes)}`;
}

function render(o) {
  const s = o.risk_sources.by_grade;
  document.getElementById('sources-by-grade').innerHTML = [...words.codes('grade').reverse(), '未分级'].map((g) => stat(s[g], g, { colour: words.colour('grade', g, '#90a4ae') })).join('');
  document.getElementById('receptors-by-kind').innerHTML = Object.entries(o.receptors.by_kind)
    .sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, n]) => stat(n, words.label('receptor_kind', k))).join('');
  const t = o.teams;
  document.getElementById('teams').innerHTML = stat(t.available, words.label('team_status', 'available'), { colour: '#7fe0a8' }) + stat(t.dispatched, words.label('team_status', 'dispatched'), { colour: '#ffcf5c' })
    + stat(t.off_duty, words.label('team_status', 'off_duty')) + stat(t.total, '合计');
  document.getElementById('rotation-days').textContent = o.rotation_days;
  document.querySelector('#stock tbody').innerHTML = o.stock.map((x) => `<tr data-item="${esc(x.item)}" data-free="${x.free}" data-reserved="${x.reserved}" data-expiring="${x.expiring}">
      <td>${esc(x.item)} <span class="meta">${esc(x.unit)}</span></td><td class="free">${num(x.free)}</td>
      <td>${num(x.quantity)}</td><td class="reserved">${num(x.reserved)}</td><td class="expiring">${num(x.expiring)}</td></tr>`).join('');

  document.getElementById('incidents-open').textContent = o.incidents.open;
  if (!wall.focus) {
    fill(document.getElementById('incidents'), o.incidents.list, (i) => {
      const li = document.createElement('li');
      li.dataset.id = i.id;
      li.className = i.initial_report_overdue ? 'overdue' : i.initial_report_due_soon ? 'due-soon' : '';
      li.innerHTML = `<span class="sev ${esc(i.severity)}">${esc(i.severity)}</span>${i.drill ? '<span class="drill">演练</span>' : ''}${esc(i.name)}<span class="due">${esc(deadline(i))}</span>`;
      li.addEventListener('click', () => focus(i.id));
      return li;
    }, (n) => `另有 ${n} 起`);
  }
  const w = o.warnings;
  document.getElementById('warnings-in-force').textContent = w.in_force;
  document.getElementById('warnings-by-level').innerHTML = words.codes('warning_level').reverse().map((l) => stat(w.by_level[l], words.label('warning_level', l), { cls: `level-${l}` })).join('');
  fill(document.getElementById('warnings'), w.list, (x) => {
    const li = document.createElement('li');
    li.innerHTML = `<span class="lv level-${esc(x.level)}">${esc(x.level)}</span>${esc(x.headline)}`;
    return li;
  }, (n) => `另有 ${n} 条`);
  const ticker = document.getElementById('ticker');
  const line = o.recent.map((e) => `<span><time>${hhmm(e.at)}</time>${esc(describe(e))}</span>`).join('');
  ticker.innerHTML = line;
  // Wider than the screen: it runs, twice over, so that it loops without a gap.
  const runs = ticker.scrollWidth > ticker.parentElement.clientWidth;
  if (runs) ticker.innerHTML = line + line;
  ticker.classList.toggle('running', runs);
  ticker.style.animationDuration = `${Math.max(20, o.recent.length * 6)}s`;
}

/** One line of the ticker. */
function describe(e) {
  const d = e.data ?? {};
  const who = e.actor ? `（${e.actor}）` : '';
  switch (e.kind) {
    case 'change': return `${d.layer ? words.label('map_layer', d.layer) : ''}${d.op === 'delete' ? '删除' : d.op === 'insert' ? '新增' : '更新'}${who}`;
    case 'report': return `事件 #${d.incident_id ?? ''} 报送${d.stage === 'initial' ? '初报' : d.stage === 'final' ? '终报' : '续报'}${who}`;
    case 'dispatch': return `调度 #${d.id ?? ''} ${d.status ? words.label('dispatch_status', d.status) : ''}${who}`;
    case 'warning': return `${d.op ? words.label('warning_change', d.op) : '预警'}${d.level ? `${d.level}色` : ''}预警：${d.headline ?? d.identifier ?? ''}${who}`;
    case 'report_due': return `事件 #${d.incident_id ?? ''} 报告期限提醒`;
    case 'attachment': return `事件 #${d.incident_id ?? ''} 上传现场照片 ${d.file_name ?? ''}${who}`;
    default: return `${words.label('event_kind', e.kind)}${who}`;
  }
}

/** The stations' open alarms, as many as fit. */
function renderAlarms(alarms) {
  document.getElementById('alarms-open').textContent = alarms.length;
  fill(document.getElementById('alarms'), alarms, (a) => {
    const li = document.createElement('li');
    li.innerHTML = `<span class="kind" style="background:${esc(words.colour('alarm_kind', a.kind, '#999'))}">${esc(words.label('alarm_kind', a.kind))}</span>`
      + `${esc(a.station)} ${esc(alarmLine(a))}`;
    return li;
  }, (n) => `另有 ${n} 条`);
}

async function refresh() {
  const [o, alarms] = await Promise.all([api('/api/overview'), api('/api/alarms').catch(() => ({ alarms: [] }))]);
  wall.overview = o;
  render(o);
  renderAlarms(alarms.alarms);
  wall.updates += 1;
  wall.renderedEvent = o.event;
  if (wall.focus) await showFocus(wall.focus);
}

// Many events in a burst (an import) make one refresh, not one each.
let pending = null;
function soon() {
  if (pending) return;
  pending = setTimeout(async () => {
    pending = null;
    try { await refresh(); } catch (err) { console.warn(err); }
  }, 100);
}

/** Follows the feed from event `after`: the figures are read again soon after each event. */
function follow(after) {
  const link = document.getElementById('wall-link');
  listen({
    map,
    after,
    connected: (up) => {
      link.textContent = up ? '实时' : '重新连接中';
      link.classList.toggle('live', up);
      if (up) soon();
    },
    on: (kind, _, id) => {
      wall.lastEvent = { kind, id: Number(id) };
      wall.stations?.onEvent(kind);
      soon();
    },
  });
}

function clock() {
  document.getElementById('wall-clock').textContent = new Date().toLocaleString('zh-CN', { hour12: false });
}
setInterval(clock, 1000);
clock();

// ---- focus on one incident -----------------------------------------------------------------------
const EMPTY = { type: 'FeatureCollection', features: [] };

/** Each dispatch's road, found once: a dispatch does not change its road as the feed ticks. */
const ROADS = new Map();

/** Road paths from the dispatched depots and teams to the incident (straight when not found). */
async function paths(incident, dispatches) {
  for (const find of ['depot', 'team']) {
    const from = (d) => d[`${find}_id`];
    const unrouted = dispatches.filter((d) => from(d) && !ROADS.has(d.id));
    if (!unrouted.length) continue;
    const near = await api('/api/nearest', { method: 'POST', body: { point: incident.position, find, count: 100 } }).catch(() => ({ results: [] }));
    for (const d of unrouted) {
      const hit = near.results.find((r) => r.id === from(d));
      const line = hit?.path?.coordinates?.length ? hit.path.coordinates : [hit?.location ?? incident.position, incident.position];
      ROADS.set(d.id, { name: hit?.name ?? `#${from(d)}`, line });
    }
  }
  return dispatches.filter((d) => ROADS.has(d.id)).map((d) => ({ type: 'Feature',
    properties: { id: d.id, name: ROADS.get(d.id).name, status: d.status }, geometry: { type: 'LineString', coordinates: ROADS.get(d.id).line } }));
}

/** The point `fraction` of the way along `line`. */
function along(line, fraction) {
  const seg = [];
  let total = 0;
  for (let i = 1; i < line.length; i++) {
    const d = Math.hypot(line[i][0] - line[i - 1][0], line[i][1] - line[i - 1][1]);
    seg.push(d);
    total += d;
  }
  let left = Math.max(0, Math.min(1, fraction)) * total;
  for (let i = 0; i < seg.length; i++) {
    if (left <= seg[i] || i === seg.length - 1) {
      const t = seg[i] ? Math.min(1, left / seg[i]) : 1;
      return [line[i][0] + t * (line[i + 1][0] - line[i][0]), line[i][1] + t * (line[i + 1][1] - line[i][1])];
    }
    left -= seg[i];
  }
  return line[line.length - 1];
}

/** How far along its road a dispatch is now: by its departure and arrival times. */
function progress(d) {
  if (['arrived', 'consumed', 'returned'].includes(d.status)) return 1;
  if (d.status !== 'en_route') return 0;
  const from = new Date(d.en_route_at ?? d.planned_at).getTime();
  const to = new Date(d.eta).getTime();
  return to > from ? (Date.now() - from) / (to - from) : 1;
}

function moveVehicles() {
  if (!wall.focus || !wall.routes) return;
  const points = wall.routes.filter((f) => f.properties.status !== 'cancelled').map((f) => {
    const d = wall.dispatches.find((x) => x.id === f.properties.id);
    return { type: 'Feature', properties: { status: d.status }, geometry: { type: 'Point', coordinates: along(f.geometry.coordinates, progress(d)) } };
  });
  wall.vehicles = points;
  map.getSource('focus-vehicles')?.setData({ type: 'FeatureCollection', features: points });
}
setInterval(moveVehicles, 1000);

async function spread(incident) {
  // The warnings issued for it carry the area (from its trace or plume); a water incident is
  // traced downstream too.
  const warnings = await api(`/api/warnings?incident_id=${incident.id}&in_force=true`).catch(() => ({ features: [] }));
  const features = (warnings.features ?? []).filter((f) => f.geometry);
  if (incident.kind === 'water') {
    const [lon, lat] = incident.position;
    const trace = await api(`/api/rivers/downstream?lon=${lon}&lat=${lat}&hours=24`).catch(() => null);
    if (trace) features.push(...trace.features.map((f) => ({ ...f, properties: { role: 'trace' } })));
  }
  return features;
}

async function showFocus(id) {
  const incident = wall.overview?.incidents.list.find((i) => i.id === id)
    ?? await api(`/api/layers/incident/${id}`).then((f) => ({ id, ...f.properties, position: f.geometry.coordinates }));
  const [dispatches, timeline, area, response] = await Promise.all([
    api(`/api/incidents/${id}/dispatches`), api(`/api/incidents/${id}/timeline`), spread(incident),
    api(`/api/incidents/${id}/response`).catch(() => null),
  ]);
  if (wall.focus !== id) return;
  wall.dispatches = dispatches.dispatches ?? dispatches;
  wall.routes = await paths(incident, wall.dispatches);
  await mapReady;
  overlay('focus-area', { type: 'FeatureCollection', features: area }, [
    { id: 'focus-area-fill', type: 'fill', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#ff7043', 'fill-opacity': 0.25 } },
    { id: 'focus-trace', type: 'line', filter: ['==', ['get', 'role'], 'trace'], paint: { 'line-color': '#e040fb', 'line-width': 6, 'line-opacity': 0.85 } },
  ]);
  overlay('focus-routes', { type: 'FeatureCollection', features: wall.routes }, [
    { id: 'focus-route', type: 'line', layout: { 'line-cap': 'round' }, paint: { 'line-color': '#4fc3f7', 'line-width': 4, 'line-opacity': 0.8 } },
  ]);
  overlay('focus-vehicles', EMPTY, [
    { id: 'focus-vehicle', type: 'circle', paint: { 'circle-radius': 8, 'circle-color': ['match', ['get', 'status'], 'en_route', '#ffeb3b', 'planned', '#90a4ae', '#69f0ae'], 'circle-stroke-color': '#000', 'circle-stroke-width': 2 } },
  ]);
  overlay('focus-incident', { type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: incident.position } }, [
    { id: 'focus-incident-dot', type: 'circle', paint: { 'circle-radius': 12, 'circle-color': '#ff1744', 'circle-stroke-color': '#fff', 'circle-stroke-width': 3 } },
  ]);
  moveVehicles();
  document.getElementById('wall-focus-title').hidden = false;
  document.getElementById('wall-focus-title').textContent = `${incident.drill ? '【演练】' : ''}聚焦：${incident.name}（${incident.severity}）`;
  const level = response ? `${words.label('response_level', response.level)}响应${response.ended_at ? '（已终止）' : ''} · ` : '';
  document.getElementById('focus-summary').textContent = `${level}${deadline(incident)} · 调派 ${wall.dispatches.length} 批 · 影响范围 ${area.length} 处`;
  // The orders, those still open first: what, its state, by when.
  const orders = [...(response?.orders ?? [])].sort((a, b) => ['done', 'refused'].includes(a.status) - ['done', 'refused'].includes(b.status));
  wall.orders = orders.length;
  fill(document.getElementById('focus-orders'), orders, (o) => {
    const li = document.createElement('li');
    li.className = `order ${o.status}${o.overdue || o.ack_overdue ? ' late' : ''}`;
    li.innerHTML = `${esc(o.what)}<span class="st">${esc(words.label('order_status', o.status))} · ${hhmm(o.due_at)} 前</span>`;
    return li;
  }, (n) => `另有 ${n} 条指令`);
  fill(document.getElementById('focus-dispatches'), wall.dispatches, (d) => {
    const li = document.createElement('li');
    const what = d.items?.length ? d.items.map((x) => `${x.item} ${num(x.quantity)}${x.unit}`).join('、') : `队伍 #${d.team_id}`;
    li.innerHTML = `${esc(what)}<span class="st">${esc(words.label('dispatch_status', d.status))} · 预计 ${hhmm(d.eta)}</span>`;
    return li;
  }, (n) => `另有 ${n} 批`);
  fill(document.getElementById('focus-timeline'), [...timeline.timeline].reverse(), (e) => {
    const li = document.createElement('li');
    li.innerHTML = `<time>${hhmm(e.at)}</time>${esc(e.text)}${e.actor ? `（${esc(e.actor)}）` : ''}`;
    return li;
  }, (n) => `更早 ${n} 条`);
}

async function focus(id) {
  wall.focus = id;
  for (const p of ['panel-incidents', 'panel-charts']) document.getElementById(p).hidden = true;
  document.getElementById('panel-focus').hidden = false;
  const incident = wall.overview?.incidents.list.find((i) => i.id === id);
  if (incident) map.flyTo({ center: incident.position, zoom: 11.5, duration: 1500, padding: PADDING });
  const url = new URL(location.href);
  url.searchParams.set('focus', id);
  history.replaceState(null, '', url);
  await showFocus(id);
  wall.focused = id;
}

function unfocus() {
  wall.focus = null;
  wall.focused = null;
  for (const p of ['panel-incidents', 'panel-charts']) document.getElementById(p).hidden = false;
  document.getElementById('panel-focus').hidden = true;
  document.getElementById('wall-focus-title').hidden = true;
  for (const s of ['focus-area', 'focus-routes', 'focus-vehicles', 'focus-incident']) map.getSource(s)?.setData(EMPTY);
  const url = new URL(location.href);
  url.searchParams.delete('focus');
  history.replaceState(null, '', url);
  render(wall.overview);
  home();
}
document.getElementById('focus-exit').addEventListener('click', unfocus);
document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && wall.focus) unfocus(); });
wall.focusOn = focus;

// ---- start ---------------------------------------------------------------------------------------
const first = await api('/api/overview');
wall.overview = first;
render(first);
renderAlarms((await api('/api/alarms').catch(() => ({ alarms: [] }))).alarms);
follow(first.event);
await mapReady;
wall.stations = startStations({ map, overlay });
const rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
showStats(wall, { theme: 'dark', scale: rem / 14, charts: ['chart-year', 'chart-cause'] }).then(() => { wall.charts = true; });
const asked = Number(new URL(location.href).searchParams.get('focus'));
if (asked > 0) await focus(asked);
// The first screen is there when the figures are in and the map's tiles are drawn.
await new Promise((resolve) => (map.loaded() && map.areTilesLoaded() ? resolve() : map.once('idle', resolve)));
wall.firstScreenMs = performance.now();
wall.ready = true;
