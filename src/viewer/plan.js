// The dispatcher's plan for an incident: its demands met from the depots and teams by road
// time and stock (nothing reserved), then committed as dispatches in one step.
import { api, esc, panelCall, placing } from './api.js';
import { showRoutes } from './draw.js';
import * as words from './words.js';

/** "活性炭 20 t" → an item demand; "hazmat 2" → a team demand. */
function parseDemands(text) {
  const specialties = words.codes('specialty');
  return text.split('\n').map((l) => l.trim()).filter(Boolean).map((line) => {
    const [what, amount, unit] = line.split(/\s+/);
    if (specialties.includes(what)) return { specialty: what, count: Number(amount) };
    const demand = { item: what, quantity: Number(amount) };
    if (unit) demand.unit = unit;
    return demand;
  });
}

export function startPlan({ map, overlay, onemap }) {
  const summary = document.getElementById('plan-summary');
  const hazmat = () => document.getElementById('dispatch-hazmat').checked;

  async function loadIncidents(select) {
    const body = await api('/api/layers/incident?status=open&limit=1000').catch(() => ({ features: [] }));
    const list = document.getElementById('plan-incident');
    list.innerHTML = (body.features ?? [])
      .map((f) => `<option value="${f.id}">${esc(f.properties.name)}（${esc(f.properties.severity)}）</option>`).join('');
    if (select) list.value = String(select);
  }

  document.getElementById('new-incident').addEventListener('click', () => {
    placing(map, onemap, 'incident');
    summary.textContent = '请在地图上单击事件位置';
  });

  /** Creates the new incident at `lngLat`. */
  async function click(lngLat) {
    placing(map, onemap, false);
    const properties = { name: document.getElementById('new-incident-name').value.trim() || '未命名事件',
      severity: document.getElementById('new-incident-severity').value, kind: document.getElementById('new-incident-kind').value };
    try {
      const body = await api('/api/layers/incident', { method: 'POST', body: { type: 'Feature', geometry: { type: 'Point', coordinates: [lngLat.lng, lngLat.lat] }, properties } });
      await loadIncidents(body.id);
      summary.textContent = `已新建事件 ${properties.name}`;
    } catch (err) {
      summary.textContent = err.problem?.detail ?? '新建失败';
    }
  }

  function drawPlan(incident) {
    const features = [{ type: 'Feature', geometry: { type: 'Point', coordinates: incident.snap.snapped }, properties: { role: 'incident' } }];
    incident.shipments.forEach((s, i) => features.push({ type: 'Feature', geometry: s.path, properties: { role: 'route', rank: i + 1 } }));
    showRoutes(overlay, { type: 'FeatureCollection', features });
  }

  document.getElementById('plan-make').addEventListener('click', async () => {
    const id = document.getElementById('plan-incident').value;
    const list = document.getElementById('plan-results');
    list.innerHTML = '';
    onemap.plan = null;
    document.getElementById('plan-commit').disabled = true;
    if (!id) { summary.textContent = '请先选择或新建事件'; return; }
    const request = { demands: parseDemands(document.getElementById('plan-demands').value), hazmat: hazmat() };
    const body = await panelCall(`/api/incidents/${id}/plan`, { method: 'POST', body: request }, 'plan-summary');
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
    onemap.plan = body;
    document.getElementById('plan-commit').disabled = body.shipments.length === 0;
  });

  document.getElementById('plan-commit').addEventListener('click', async () => {
    const plan = onemap.plan;
    if (!plan) return;
    const shipments = plan.shipments.map((s) => (s.depot_id ? { depot_id: s.depot_id, items: s.items } : { team_id: s.team_id }));
    document.getElementById('plan-commit').disabled = true;
    try {
      const body = await api(`/api/incidents/${plan.id}/dispatch`, { method: 'POST', body: { shipments, hazmat: hazmat() } });
      onemap.committed = body;
      summary.textContent = `已调度 ${body.dispatches.length} 个批次，物资已预留，队伍已出动`;
    } catch (err) {
      const short = (err.problem?.short ?? []).map((s) => `${s.item} 现可用 ${s.free}`).join('、');
      summary.textContent = `${err.problem?.detail ?? '调度失败'}${short ? `：${short}` : ''}；请重新生成方案`;
    }
  });

  loadIncidents();
  return { click };
}
