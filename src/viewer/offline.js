// The map of an offline package (`onemap serve --offline FILE.pmtiles`): read-only, no database,
// no sign-in; a click shows what the tile carries of a feature.
import * as maplibregl from '/vendor/maplibre-gl.mjs';
import { api, esc } from '/viewer/api.js';
import { CJK_FONTS } from '/viewer/draw.js';
import { state } from '/viewer/state.js';

const health = await api('/health');
document.getElementById('package').textContent = `${health.package} · z${health.minzoom}–${health.maxzoom}`;

const map = new maplibregl.Map({
  container: 'map',
  style: '/style.json',
  localIdeographFontFamily: CJK_FONTS,
  attributionControl: { compact: true },
  hash: true,
  bounds: health.bounds,
});
map.addControl(new maplibregl.NavigationControl(), 'top-left');
map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
map.on('click', (e) => {
  const [feature] = map.queryRenderedFeatures(e.point).filter((f) => f.sourceLayer);
  if (!feature) return;
  const rows = Object.entries(feature.properties)
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(String(v))}</td></tr>`)
    .join('');
  new maplibregl.Popup({ maxWidth: '360px' })
    .setLngLat(e.lngLat)
    .setHTML(`<div><b>${esc(feature.properties.name ?? feature.sourceLayer)}</b> · ${esc(feature.sourceLayer)}</div><table class="popup-table">${rows}</table>`)
    .addTo(map);
});
Object.assign(state, { map, ready: false });
map.on('load', () => { state.ready = true; });
