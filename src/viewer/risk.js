// The analyst's risk tools on the desk: why a grid cell is risky (its sources and receptors),
// and where a river spill goes downstream — with a warning issued over the trace.
import { api, esc, panelCall } from './api.js';
import * as words from './words.js';

export function startRisk({ overlay, onemap, popup, warnings }) {
  /** The popup of a risk map's feature `hit` at `lngLat`. */
  async function show(hit, lngLat) {
    const p = hit.properties;
    let html = `<div class="popup-title">${esc(words.label('map_layer', hit.sourceLayer))}：${esc(p.name ?? '')}</div>
      <div class="popup-layer">风险指数 ${p.index} · ${esc(p.class)}</div>`;
    if (hit.sourceLayer === 'risk_grid') {
      const cell = await api(`/api/risk/cells/${encodeURIComponent(p.name)}`);
      onemap.lastCell = cell;
      html += `<table class="popup-table">${cell.sources.slice(0, 5)
        .map((s) => `<tr><td>${esc(s.name)}</td><td>${esc(s.grade ?? '未分级')} · 危害 ${s.hazard} × 暴露 ${s.exposure}</td></tr>`).join('')}
        ${cell.receptors.slice(0, 5).map((r) => `<tr><td>${esc(r.name)}</td><td>${esc(words.label('receptor_kind', r.kind))} · 贡献 ${r.contribution}</td></tr>`).join('')}</table>`;
    }
    popup(lngLat, html, '380px');
  }

  /** Traces the river from `lngLat` downstream for the hours asked. */
  async function trace(lngLat) {
    const hours = Number(document.getElementById('trace-hours').value) || 24;
    const body = await panelCall(`/api/rivers/downstream?lon=${lngLat.lng}&lat=${lngLat.lat}&hours=${hours}`, undefined, 'trace-summary', 'trace-results');
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
    onemap.lastTrace = body;
    onemap.lastTracePoint = [lngLat.lng, lngLat.lat];
    onemap.lastTraceHours = hours;
    document.getElementById('trace-warn').disabled = body.features.length === 0;
  }

  document.getElementById('trace-warn').addEventListener('click', async () => {
    const summary = document.getElementById('trace-summary');
    try {
      const issued = await warnings().fromTrace(onemap.lastTracePoint, onemap.lastTraceHours);
      summary.textContent = `已发布${issued.properties.level}色预警：${issued.properties.headline}`;
    } catch (err) {
      summary.textContent = err.message;
    }
  });
  return { show, trace };
}
