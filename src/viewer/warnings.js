// Warnings on the map, coloured by level and kept live from the feed; the warnings panel with
// the recipients a duty officer ticks off; and a warning drafted and issued from a plume.
import { api, esc, when } from './api.js';
import * as words from './words.js';

/** A style expression: a warning's colour by its level. */
function byLevel() {
  const pairs = words.codes('warning_level').flatMap((l) => [l, words.colour('warning_level', l)]);
  return pairs.length ? ['match', ['get', 'level'], ...pairs, '#2c7bb6'] : '#2c7bb6';
}

export function startWarnings({ map, overlay, onemap, may }) {
  const canIssue = may.includes('handle_incidents');
  const list = document.getElementById('warning-list');
  const state = { inForce: [] };
  onemap.warnings = state;

  async function load() {
    const body = await api('/api/warnings?in_force=true');
    state.inForce = body.features;
    overlay('warnings', { type: 'FeatureCollection', features: body.features.map((f) => ({ ...f, properties: { level: f.properties.level, headline: f.properties.headline } })) }, [
      { id: 'warnings-fill', type: 'fill', paint: { 'fill-color': byLevel(), 'fill-opacity': 0.25 } },
      { id: 'warnings-line', type: 'line', paint: { 'line-color': byLevel(), 'line-width': 2, 'line-dasharray': [2, 1] } },
    ]);
    list.innerHTML = body.features.length ? '' : '<li class="hint">无生效预警</li>';
    for (const f of body.features) {
      const p = f.properties;
      const li = document.createElement('li');
      li.dataset.id = f.id;
      li.innerHTML = `<span class="swatch" style="background:${words.colour('warning_level', p.level, '#2c7bb6')}"></span>${esc(p.headline)}`
        + `<span class="meta">${esc(words.label('warning_level', p.level))} · 至 ${esc(when(p.expires))} · <a href="/api/warnings/${f.id}.cap" target="_blank" rel="noopener">CAP</a></span>`;
      li.addEventListener('click', (e) => { if (e.target.tagName !== 'A') recipients(f.id, li); });
      list.appendChild(li);
    }
  }

  async function recipients(id, li) {
    const body = await api(`/api/warnings/${id}/recipients`);
    li.querySelector('.recipients')?.remove();
    const ol = document.createElement('ol');
    ol.className = 'recipients';
    ol.innerHTML = body.recipients.map((r) => `<li><label><input type="checkbox" data-r="${r.id}"${r.notified_at ? ' checked' : ''}${canIssue ? '' : ' disabled'}>
      ${esc(r.name)}</label><span class="meta">${r.notified_at ? `已通知 ${esc(when(r.notified_at))}` : '未通知'}</span></li>`).join('');
    for (const box of ol.querySelectorAll('input[data-r]')) {
      box.addEventListener('change', async () => {
        await api(`/api/warnings/${id}/recipients/${box.dataset.r}`, { method: 'PATCH', body: { notified: box.checked } });
        await recipients(id, li);
      });
    }
    li.appendChild(ol);
  }

  /** Drafts and issues a warning over the widest zone of the plume `request`. */
  async function fromPlume(request, plume) {
    const now = new Date();
    const level = document.getElementById('warning-level').value;
    const body = {
      kind: 'air', level, headline: `${plume.substance?.name ?? '有毒气体'}泄漏，下风向请关闭门窗、听从疏散`,
      description: `泄漏速率 ${request.release_g_s} g/s，风速 ${request.wind_ms} m/s，稳定度 ${plume.stability}；`
        + `影响范围下风向约 ${(plume.features[0].properties.max_distance_m / 1000).toFixed(1)} 公里。`,
      instruction: '关闭门窗，停止室外活动，听从现场指挥疏散。', area_desc: '大气扩散影响范围（毒性终点浓度-2）',
      onset: now.toISOString(), expires: new Date(now.getTime() + 6 * 3600 * 1000).toISOString(), from: { plume: request },
    };
    const draft = await api('/api/warnings', { method: 'POST', body });
    const issued = await api(`/api/warnings/${draft.id}/issue`, { method: 'POST' });
    state.lastIssued = issued;
    await load();
    return issued;
  }

  /** Drafts and issues a water warning over the river downstream of a traced spill. */
  async function fromTrace(point, hours) {
    const now = new Date();
    const body = {
      kind: 'water', level: document.getElementById('trace-warning-level').value,
      headline: '河流突发水污染，下游沿岸请停止取水', description: `泄漏点下游 ${hours} 小时流程范围（沿河两侧 1 公里）。`,
      instruction: '沿岸取水口暂停取水，水厂启动应急处理。', area_desc: `下游 ${hours} 小时河段及两岸 1 公里`,
      onset: now.toISOString(), expires: new Date(now.getTime() + 24 * 3600 * 1000).toISOString(),
      from: { trace: { lon: point[0], lat: point[1], hours, buffer_m: 1000 } },
    };
    const draft = await api('/api/warnings', { method: 'POST', body });
    const issued = await api(`/api/warnings/${draft.id}/issue`, { method: 'POST' });
    state.lastIssued = issued;
    await load();
    return issued;
  }

  load().catch(() => {});
  return {
    fromPlume,
    fromTrace,
    onEvent(kind) { if (kind === 'warning' || kind === 'reload') load().catch(() => {}); },
  };
}
