// The interception panel (以空间换时间): click a river where a spill entered it; the sites
// downstream are listed with the margin between the pollutant and the help that can get there,
// the recommended ones marked on the map, and a dispatcher sends the help to a site.
import { api, esc, placing } from './api.js';

export function startIntercept({ map, overlay, onemap, may }) {
  const summary = document.getElementById('intercept-summary');
  const list = document.getElementById('intercept-results');
  const canSend = may.includes('handle_incidents');

  function need() {
    const [what, amount] = document.getElementById('intercept-send').value.split(':');
    return amount ? { item: what, quantity: Number(amount) } : { specialty: what };
  }

  // The river's flow and the release (to check the sites' space), and the plan whose sites come first.
  function river() {
    const out = {};
    const flow = document.getElementById('intercept-flow').value;
    if (flow !== '') {
      out.flow_m3_s = Number(flow);
      out.release_minutes = Number(document.getElementById('intercept-release').value) || 60;
    }
    const chosen = document.getElementById('intercept-plan').value;
    if (chosen) out.plan_id = Number(chosen);
    return out;
  }

  // River and water-source plans that name interception sites (一河一策一图).
  api('/api/plans').then((body) => {
    const select = document.getElementById('intercept-plan');
    for (const p of body.plans.filter((p) => p.sites && p.sites.length)) {
      const o = document.createElement('option');
      o.value = p.id;
      o.textContent = `${p.name}（${p.sites.length} 个点位）`;
      select.appendChild(o);
    }
  }).catch(() => {});

  function storage(s) {
    const st = s.storage;
    if (!st) return '';
    if (st.holds === null) return '；应急空间未登记';
    return st.holds ? `；应急空间 ${st.volume_m3} m³ 可容纳（${st.fills_in_minutes} 分钟蓄满）`
      : `；应急空间 ${st.volume_m3} m³ ${st.fills_in_minutes} 分钟即满，需 ${st.needed_m3} m³，不能作为拦截点`;
  }

  async function plan(lngLat) {
    placing(map, onemap, false);
    list.innerHTML = '';
    let body;
    try {
      body = await api('/api/rivers/interception', { method: 'POST', body: {
        point: [lngLat.lng, lngLat.lat], hours: Number(document.getElementById('trace-hours').value) || 24,
        send: need(), setup_minutes: Number(document.getElementById('intercept-setup').value) || 30, ...river() } });
    } catch (err) {
      summary.textContent = err.message;
      return;
    }
    onemap.lastIntercept = body;
    const byId = new Map(body.sites.map((s) => [s.id, s]));
    summary.textContent = `下游 ${body.sites.length} 个拦截点位，推荐 ${body.recommended.length} 个（首个取水口之上、时间有余量）`;
    // Recommended first (the plan's own first), then the plan's other sites, then the rest.
    const rest = body.sites.filter((s) => !s.recommended);
    const ordered = [...body.recommended.map((id) => byId.get(id)), ...rest.filter((s) => s.in_plan), ...rest.filter((s) => !s.in_plan)];
    for (const s of ordered) {
      const li = document.createElement('li');
      const road = s.road ? `${esc(s.road.name)} ${s.road.minutes} 分钟到达` : '无可调派力量';
      const margin = s.margin_minutes === null ? '' : `，余量 ${s.margin_minutes} 分钟`;
      li.innerHTML = `${s.recommended ? '★ ' : ''}${s.in_plan ? '【预案】' : ''}${esc(s.name)}<span class="meta">污染物 ${s.minutes} 分钟到达；${road}${margin}`
        + `${s.above_first_intake ? '' : '；位于取水口下游'}${esc(storage(s))}</span>`;
      if (s.recommended && canSend && s.road) {
        const b = document.createElement('button');
        b.type = 'button';
        b.textContent = '调派至此';
        b.addEventListener('click', () => send(s));
        li.appendChild(b);
      }
      list.appendChild(li);
    }
    // Sites are on the map already (拦截点位); the recommended ones get a ring.
    const rings = await Promise.all(body.recommended.map((id) => api(`/api/layers/intercept_site/${id}`)));
    overlay('intercept-ring', { type: 'FeatureCollection', features: rings }, [{ id: 'intercept-ring', type: 'circle',
      paint: { 'circle-radius': 12, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#31a354', 'circle-stroke-width': 3 } }]);
  }

  async function send(site) {
    const incident = document.getElementById('plan-incident').value;
    if (!incident) { summary.textContent = '请先在“事件调度方案”中选择事件'; return; }
    const shipment = site.road.layer === 'team' ? { team_id: site.road.id } : null;
    try {
      let body;
      if (shipment) {
        body = { shipments: [shipment], site_id: site.id };
      } else {
        const n = need();
        const stock = await api(`/api/depots/${site.road.id}/stock`);
        const row = stock.items.find((i) => i.properties.item === n.item && i.properties.quantity - i.properties.reserved > 0);
        body = { shipments: [{ depot_id: site.road.id, items: [{ item: n.item, unit: row.properties.unit, quantity: n.quantity }] }], site_id: site.id };
      }
      const sent = await api(`/api/incidents/${incident}/dispatch`, { method: 'POST', body });
      onemap.lastInterceptDispatch = sent;
      summary.textContent = `已调派至 ${site.name}`;
    } catch (err) {
      summary.textContent = err.message;
    }
  }

  document.getElementById('intercept-place').addEventListener('click', () => {
    placing(map, onemap, 'intercept');
    summary.textContent = '请在地图上单击泄漏入河点';
  });
  return { click: plan };
}
