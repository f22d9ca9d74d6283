// The dispatcher's first question: the nearest depots (by item) or teams (by specialty) to a
// point placed on the map, ranked by road travel time, with their routes drawn.
import { esc, panelCall, placing } from './api.js';
import { showRoutes } from './draw.js';

export function startNearest({ map, overlay, onemap }) {
  document.getElementById('dispatch-place').addEventListener('click', () => {
    placing(map, onemap, 'nearest');
    document.getElementById('dispatch-summary').textContent = '请在地图上单击事件位置';
  });

  /** Ranks the candidates for an incident at `lngLat`. */
  async function click(lngLat) {
    placing(map, onemap, false);
    const find = document.getElementById('dispatch-find').value;
    const what = document.getElementById('dispatch-what').value.trim();
    const request = { point: [lngLat.lng, lngLat.lat], find, count: Number(document.getElementById('dispatch-count').value) || 5,
      hazmat: document.getElementById('dispatch-hazmat').checked };
    if (what) request[find === 'depot' ? 'item' : 'specialty'] = what;
    const body = await panelCall('/api/nearest', { method: 'POST', body: request }, 'dispatch-summary', 'dispatch-results');
    if (!body) return;
    const summary = document.getElementById('dispatch-summary');
    const list = document.getElementById('dispatch-results');
    const features = [{ type: 'Feature', geometry: { type: 'Point', coordinates: body.incident.snapped }, properties: { role: 'incident' } }];
    for (const r of body.results) features.push({ type: 'Feature', geometry: r.path, properties: { role: 'route', rank: r.rank } });
    showRoutes(overlay, { type: 'FeatureCollection', features });
    summary.textContent = `事件点吸附到道路（${body.incident.snap_distance_m} 米），候选 ${body.candidates} 个，按道路行程时间排序：`;
    for (const r of body.results) {
      const li = document.createElement('li');
      const extra = find === 'depot' ? `可用 ${r.about.free} ${r.about.unit ?? ''}` : `${r.about.headcount} 人`;
      li.innerHTML = `${esc(r.name)}<span class="meta">${r.minutes} 分钟 · ${(r.metres / 1000).toFixed(1)} 公里 · ${esc(extra)}</span>`;
      li.addEventListener('click', () => map.flyTo({ center: r.location, zoom: Math.max(map.getZoom(), 10) }));
      list.appendChild(li);
    }
    if (!body.results.length) list.innerHTML = '<li>没有可达的候选</li>';
    onemap.lastDispatch = body;
  }
  return { click };
}
