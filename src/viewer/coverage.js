// The planner's coverage panel: where the depots holding an item reach by road within given
// times, and which receptors and major risk sources lie outside (GET /api/coverage).
import { api, esc } from './api.js';
import * as words from './words.js';

const SHADES = ['#1a9850', '#91cf60', '#d9ef8b', '#fee08b', '#fc8d59', '#d73027'];

export function startCoverage({ overlay, onemap }) {
  const summary = document.getElementById('coverage-summary');
  const list = document.getElementById('coverage-results');
  document.getElementById('coverage-make').addEventListener('click', async () => {
    const item = document.getElementById('coverage-item').value.trim();
    const minutes = document.getElementById('coverage-minutes').value.replace(/\s+/g, '');
    list.innerHTML = '';
    let body;
    try {
      body = await api(`/api/coverage?item=${encodeURIComponent(item)}&minutes=${encodeURIComponent(minutes)}`);
    } catch (err) {
      summary.textContent = `${err.message}${err.problem?.field ? `（${err.problem.field}）` : ''}`;
      return;
    }
    onemap.lastCoverage = body;
    // Longest time first, so the shorter times' areas are drawn over it.
    const areas = body.features.filter((f) => f.geometry).map((f, i) => ({ ...f, properties: { ...f.properties, shade: SHADES[i] } })).reverse();
    overlay('coverage', { type: 'FeatureCollection', features: areas }, [
      { id: 'coverage-fill', type: 'fill', paint: { 'fill-color': ['get', 'shade'], 'fill-opacity': 0.3 } },
      { id: 'coverage-line', type: 'line', paint: { 'line-color': ['get', 'shade'], 'line-width': 1.5 } },
    ]);
    const out = body.outside;
    summary.textContent = `${body.depots.length} 个储备库持有${item}；${out.minutes} 分钟内无法到达：敏感目标 ${out.receptors.length} 个、重大/较大风险源 ${out.risk_sources.length} 个`;
    const rows = [
      ...out.receptors.filter((r) => r.kind === 'water_intake').map((r) => [r.name, words.label('receptor_kind', r.kind)]),
      ...out.risk_sources.map((s) => [s.name, `${s.grade} 风险源`]),
    ];
    list.innerHTML = rows.slice(0, 30).map(([name, what]) => `<li>${esc(name)}<span class="meta">${esc(what)}</span></li>`).join('');
  });
}
