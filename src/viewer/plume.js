// The air threat panel: a toxic gas release placed on the map, its zones drawn nested (the
// lower end-point outside, the higher inside) with the receptors and people in each.
import { api, esc, placing } from './api.js';

const COLOURS = ['#fdae61', '#d7191c', '#7f0000'];

export function startPlume({ map, overlay, onemap }) {
  const summary = document.getElementById('plume-summary');
  const list = document.getElementById('plume-results');
  const value = (id) => document.getElementById(id).value;

  async function draw(lngLat) {
    const stability = value('plume-stability');
    const request = {
      point: [lngLat.lng, lngLat.lat], release_g_s: Number(value('plume-rate')), height_m: 0,
      wind_from_deg: Number(value('plume-wind-from')), wind_ms: Number(value('plume-wind')), minutes: Number(value('plume-minutes')),
      terrain: value('plume-terrain'), substance: value('plume-substance'),
    };
    if (stability === 'day') Object.assign(request, { day: true, insolation: 'moderate' });
    else if (stability === 'night') Object.assign(request, { day: false, cloud_octas: 2 });
    else request.stability = stability;
    list.innerHTML = '';
    let body;
    try {
      body = await api('/api/air/plume', { method: 'POST', body: request });
    } catch (err) {
      summary.textContent = `${err.message}${err.problem?.field ? `（${err.problem.field}）` : ''}`;
      return;
    }
    onemap.lastPlume = body;
    onemap.lastPlumeRequest = request;
    document.getElementById('plume-warn').disabled = !body.features.some((f) => f.geometry);
    const drawn = body.features.filter((f) => f.geometry).map((f, i) => ({ ...f, properties: { rank: i, threshold: f.properties.threshold_mg_m3 } }));
    overlay('plume', { type: 'FeatureCollection', features: drawn }, [
      { id: 'plume-fill', type: 'fill', paint: { 'fill-color': ['match', ['get', 'rank'], 0, COLOURS[0], 1, COLOURS[1], COLOURS[2]], 'fill-opacity': 0.35 } },
      { id: 'plume-line', type: 'line', paint: { 'line-color': ['match', ['get', 'rank'], 0, COLOURS[0], 1, COLOURS[1], COLOURS[2]], 'line-width': 2 } },
    ]);
    summary.textContent = `${esc(body.substance?.name ?? '')} 稳定度 ${body.stability}（${body.stability_from === 'given' ? '指定' : '按帕斯奎尔表'}），`
      + `风 ${request.wind_ms} m/s 吹向 ${(request.wind_from_deg + 180) % 360}°`;
    for (const f of body.features) {
      const p = f.properties;
      const li = document.createElement('li');
      li.innerHTML = `≥ ${p.threshold_mg_m3} mg/m³：下风向 ${(p.max_distance_m / 1000).toFixed(2)} 公里，宽 ${p.max_width_m} 米，`
        + `敏感目标 ${p.receptors.length} 个，居民约 ${p.people} 人<span class="meta">${p.receptors.slice(0, 5).map((r) => esc(r.name)).join('、')}</span>`;
      list.appendChild(li);
    }
    const all = body.features.filter((f) => f.geometry).flatMap((f) => f.geometry.coordinates[0]);
    if (all.length) {
      const xs = all.map((c) => c[0]); const ys = all.map((c) => c[1]);
      map.fitBounds([[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]], { padding: 60, maxZoom: 14 });
    }
  }

  document.getElementById('plume-warn').addEventListener('click', async () => {
    try {
      const issued = await onemap.warningsPanel.fromPlume(onemap.lastPlumeRequest, onemap.lastPlume);
      summary.textContent = `已发布${issued.properties.level}色预警：${issued.properties.headline}`;
    } catch (err) {
      summary.textContent = err.message;
    }
  });

  document.getElementById('plume-place').addEventListener('click', () => {
    placing(map, onemap, 'plume');
    summary.textContent = '请在地图上单击泄漏点';
  });
  return {
    click(lngLat) {
      placing(map, onemap, false);
      return draw(lngLat);
    },
  };
}
