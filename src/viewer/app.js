// The one-map viewer: MapLibre GL JS (vendored) over onemap's own tiles, style and API. This
// file holds the map, its popups, layers and clicks; each panel is its own module, started here
// with what it needs (the map, the overlays, and the page's shared state).
import * as maplibregl from '/vendor/maplibre-gl.mjs';
import { api, esc, panelCall } from './api.js';
import { CJK_FONTS, centerOf, circle, overlays } from './draw.js';
import { startCoverage } from './coverage.js';
import { startDuty } from './duty.js';
import { startIntercept } from './intercept.js';
import { listen, refreshTiles } from './live.js';
import { startNearest } from './nearest.js';
import { startPhone } from './phone.js';
import { startPlan } from './plan.js';
import { plansOf, startPlanDeadlines } from './emergency-plans.js';
import { startDrills } from './drills.js';
import { startStandards } from './standards.js';
import { startStations } from './stations.js';
import { startAlarms } from './alarms.js';
import { startOnDuty } from './on-duty.js';
import { startPlume } from './plume.js';
import { startRisk } from './risk.js';
import { startSearch } from './search.js';
import { account, startSession } from './session.js';
import { startWarnings } from './warnings.js';
import { showStats } from './stats.js';
import * as words from './words.js';
import { state } from './state.js';
import { startWorkspaces } from './workspaces.js';

// What the panels share (passed to each).
Object.assign(state, { ready: false, selected: null, popup: null });

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

startSession();
// Without a credential (and without public read) the map waits for a sign-in, which reloads the page.
await words.loadWords();
// Choices in the catalogue's words: a new incident's severity and kind, the teams an interception sends.
const options = (vocabulary, codes, selected, suffix = '') => codes.map((c) =>
  `<option value="${esc(c)}"${c === selected ? ' selected' : ''}>${esc(words.label(vocabulary, c))}${suffix}</option>`).join('');
document.getElementById('new-incident-severity').innerHTML = options('severity', words.codes('severity'), '较大');
document.getElementById('new-incident-kind').innerHTML = options('incident_kind', words.codes('incident_kind'));
document.getElementById('intercept-send').insertAdjacentHTML('beforeend', options('specialty', ['water', 'hazmat'], null, '救援队'));
state.me = await account();
if (!state.me.may.includes('read')) await new Promise(() => {});
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
  const list = (await api(`/api/attachments?${query}`).catch(() => null))?.attachments ?? [];
  return list.length ? `<div class="photos">${list.map((a) => `<a href="${esc(a.href)}" target="_blank" rel="noopener">`
    + `<img src="${esc(a.href)}" alt="${esc(a.caption ?? a.file_name)}" loading="lazy"></a>`).join('')}</div>` : '';
}

/** Shows `html` in the map's one popup at `lngLat`. */
function popup(lngLat, html, maxWidth = '360px') {
  if (state.popup) state.popup.remove();
  state.popup = new maplibregl.Popup({ maxWidth, focusAfterOpen: false }).setLngLat(lngLat).setHTML(html).addTo(map);
  return state.popup;
}

function select(layer, id) {
  if (state.selected) map.setFeatureState({ source: 'onemap', sourceLayer: state.selected.layer, id: state.selected.id }, { selected: false });
  state.selected = layer ? { layer, id } : null;
  if (layer) map.setFeatureState({ source: 'onemap', sourceLayer: layer, id }, { selected: true });
}

async function showFeature(layer, id, lngLat) {
  select(layer, id);
  const feature = await api(`/api/layers/${layer}/${id}`).catch(() => null);
  const props = feature ? feature.properties : {};
  const html = `<div class="popup-title">${esc(props.name ?? props.item ?? words.label('map_layer', layer))}</div>
    <div class="popup-layer">${esc(words.label('map_layer', layer))} #${id}</div>
    <table class="popup-table">${propertyRows(layer, props)}</table>${await photosOf(layer, id)}${await plansOf(layer, id)}`;
  popup(lngLat, html).on('close', () => select(null));
  state.lastPopup = { layer, id, name: props.name ?? null };
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

// Another colouring of a layer (risk sources by their plans' standing): its paint and its legend.
const colouredBy = {};
function buildColourings() {
  const colourings = map.getStyle().metadata?.['onemap:colourings'] ?? {};
  for (const [sourceLayer, c] of Object.entries(colourings)) {
    const label = document.createElement('label');
    label.className = 'layer-toggle';
    label.innerHTML = `${esc(words.label('map_layer', sourceLayer))}着色 <select data-colouring="${esc(sourceLayer)}">${c.by
      .map((b, i) => `<option value="${i}">${esc(b.label)}</option>`).join('')}</select>`;
    label.querySelector('select').addEventListener('change', (e) => {
      const by = c.by[Number(e.target.value)];
      for (const [id, property] of Object.entries(c.layers)) map.setPaintProperty(id, property, by.colour);
      colouredBy[sourceLayer] = by.legend;
      buildLegend();
    });
    document.getElementById('layers').appendChild(label);
  }
}

function buildLegend() {
  const legend = { ...(map.getStyle().metadata?.['onemap:legend'] ?? {}), ...colouredBy };
  document.getElementById('legend').innerHTML = [...Object.values(legend), ...(state.stations?.legend() ?? [])]
    .map((g) => `<div class="legend-group"><div class="legend-title">${esc(g.title)}</div>${g.items
      .map(([name, colour]) => `<span class="legend-item"><span class="swatch" style="background:${colour}"></span>${esc(name)}</span>`)
      .join('')}</div>`)
    .join('');
}

// ---- what is around a point ----------------------------------------------------------------------
async function around(lngLat) {
  const radius = Number(document.getElementById('radius').value);
  const url = `/api/around?lon=${lngLat.lng.toFixed(6)}&lat=${lngLat.lat.toFixed(6)}&radius_m=${radius}`;
  const body = await panelCall(url, undefined, 'around-summary', 'around-results');
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

// ---- the panels, and clicks on the map: a tool waiting for a point, else a popup --------------------
const panels = { map, overlay, onemap: state, may: state.me.may };
const nearest = startNearest(panels);
const plan = startPlan(panels);
const risk = startRisk({ ...panels, popup, warnings: () => state.warningsPanel });
startSearch({ map, showFeature });
const clickable = () => map.getStyle().layers.filter((l) => l['source-layer'] && l.type !== 'symbol' && l.id !== 'district-fill').map((l) => l.id);

map.on('click', (e) => {
  if (state.placing === 'incident') return plan.click(e.lngLat);
  if (state.placing === 'plume') return state.plume.click(e.lngLat);
  if (state.placing === 'intercept') return state.intercept.click(e.lngLat);
  if (state.placing === 'nearest') return nearest.click(e.lngLat);
  if (document.getElementById('trace-mode').checked) return risk.trace(e.lngLat);
  if (document.getElementById('around-mode').checked) return around(e.lngLat);
  const station = state.stations?.at(e.point);
  if (station) return state.stations.show(station, e.lngLat, popup);
  const hits = map.queryRenderedFeatures(e.point, { layers: clickable() });
  const hit = hits[0] ?? map.queryRenderedFeatures(e.point, { layers: ['district-fill'] })[0];
  if (hit?.source === 'risk') return risk.show(hit, e.lngLat);
  if (hit) showFeature(hit.sourceLayer, hit.id, e.lngLat);
  return undefined;
});
map.on('contextmenu', (e) => around(e.lngLat));
map.on('mousemove', (e) => {
  map.getCanvas().style.cursor = map.queryRenderedFeatures(e.point, { layers: clickable() }).length ? 'pointer' : '';
});

document.getElementById('stats-open').addEventListener('click', async () => {
  document.getElementById('stats').hidden = false;
  await showStats(state);
});

map.on('load', () => {
  buildLayerSwitcher();
  buildColourings();
  buildLegend();
  const duty = startDuty(panels);
  state.duty.panel = duty;
  state.plume = startPlume(panels);
  state.intercept = startIntercept(panels);
  state.warningsPanel = startWarnings(panels);
  state.planDeadlines = startPlanDeadlines();
  state.drills = startDrills(panels);
  startStandards();
  state.stations = startStations(panels);
  buildLegend();
  state.alarms = startAlarms({ ...panels, popup });
  state.onDuty = startOnDuty(panels);
  startPhone(panels);
  startCoverage(panels);
  const status = document.getElementById('status');
  listen({
    map,
    connected: (up) => {
      status.textContent = up ? '实时更新：已连接' : '实时更新：重新连接中…';
      // After a reconnect, changes may have been missed.
      if (up && state.ready) refreshTiles(map);
    },
    on: (kind, data, id) => {
      state.lastEvent = { kind, id };
      if (kind === 'change' || kind === 'reload') {
        status.textContent = `实时更新：已连接（${new Date().toLocaleTimeString('zh-CN')} 数据更新）`;
      }
      state.duty?.panel?.onEvent(kind, data);
      state.warningsPanel?.onEvent(kind, data);
      state.planDeadlines?.onEvent(kind);
      state.drills?.onEvent(kind);
      state.onDuty?.onEvent(kind);
      state.stations?.onEvent(kind);
      state.alarms?.onEvent(kind);
    },
  });
  state.ready = true;
  // The first screen is there when its tiles are drawn (printed by the browser test).
  map.once('idle', () => { state.firstScreenMs = performance.now(); });
});
