// The officer's phone: "where am I", "report from here" (a quick initial report of a new
// incident, or a follow-up of an open one), the hazard inspection of the nearest risk source,
// each with photos, and readings at emergency sampling points. What is filed goes through the outbox, so it waits out a lost
// network and is sent once. On a narrow screen the desk's panel becomes a bottom sheet.
import { api, esc } from './api.js';
import { circle } from './draw.js';
import { enqueue, flush, jobs, watch, discard, sentJobs } from './outbox.js';
import * as words from './words.js';

const NARROW = matchMedia('(max-width: 600px)');

/** Where the phone is, as [lon, lat] with its accuracy in metres. */
function locate() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) return reject(new Error('此设备不能定位'));
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ at: [p.coords.longitude, p.coords.latitude], accuracy: p.coords.accuracy }),
      (e) => reject(new Error(e.code === 1 ? '未允许定位：请在浏览器中允许位置权限' : '定位失败')),
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 },
    );
  });
}

/** The photos chosen in `input`, as outbox steps attaching them to `record` (an id or `{n.id}`). */
function photoSteps(input, keep, record, recordId, at) {
  return [...input.files].map((file) => ({
    method: 'POST', path: '/api/attachments', file, fileName: file.name || 'photo.jpg',
    form: { record, record_id: recordId, metadata: keep ? 'keep' : 'strip', lon: String(at[0]), lat: String(at[1]) },
  }));
}

/** Metres between two [lon, lat] (haversine). */
function metres([x1, y1], [x2, y2]) {
  const r = Math.PI / 180;
  const a = Math.sin(((y2 - y1) * r) / 2) ** 2 + Math.cos(y1 * r) * Math.cos(y2 * r) * Math.sin(((x2 - x1) * r) / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(a));
}

export function startPhone({ map, overlay, onemap, may }) {
  /** Risk sources in the map's loaded tiles within `radius` metres of `at` (when the API cannot be reached). */
  const nearbyOnMap = (at, radius) => {
    const seen = new Map();
    for (const f of map.querySourceFeatures('onemap', { sourceLayer: 'risk_source' })) {
      if (f.geometry.type !== 'Point' || seen.has(f.id)) continue;
      const distance = metres(at, f.geometry.coordinates);
      if (distance <= radius) seen.set(f.id, { id: f.id, properties: { ...f.properties, layer: 'risk_source', distance_m: distance } });
    }
    return [...seen.values()];
  };

  const sheet = document.getElementById('panel');
  const handle = document.getElementById('sheet-handle');
  const status = document.getElementById('field-status');
  const dialog = document.getElementById('field-dialog');
  const phone = { here: null };
  onemap.phone = phone;

  // ---- the bottom sheet ------------------------------------------------------------------------
  const setSheet = (open) => {
    document.body.classList.toggle('sheet-open', open);
    handle.setAttribute('aria-expanded', String(open));
    handle.textContent = open ? '收起面板 ▾' : '展开面板 ▴';
  };
  handle.addEventListener('click', () => setSheet(!document.body.classList.contains('sheet-open')));
  setSheet(false);
  NARROW.addEventListener('change', () => { setSheet(false); map.resize(); });
  // A list item chosen in the sheet shows its place: the sheet steps aside.
  sheet.addEventListener('click', (e) => { if (NARROW.matches && e.target.closest('li')) setSheet(false); });

  for (const el of document.querySelectorAll('#field-actions [data-needs]')) el.hidden = !may.includes(el.dataset.needs);

  // ---- where am I --------------------------------------------------------------------------------
  async function whereAmI() {
    status.textContent = '定位中…';
    try {
      phone.here = await locate();
    } catch (err) {
      status.textContent = err.message;
      return null;
    }
    const { at, accuracy } = phone.here;
    overlay('me', { type: 'FeatureCollection', features: [circle(at, Math.max(accuracy, 10), { role: 'accuracy' }),
      { type: 'Feature', properties: { role: 'me' }, geometry: { type: 'Point', coordinates: at } }] }, [
      { id: 'me-accuracy', type: 'fill', filter: ['==', ['get', 'role'], 'accuracy'], paint: { 'fill-color': '#1e88e5', 'fill-opacity': 0.15 } },
      { id: 'me-dot', type: 'circle', filter: ['==', ['get', 'role'], 'me'],
        paint: { 'circle-radius': 8, 'circle-color': '#1e88e5', 'circle-stroke-color': '#fff', 'circle-stroke-width': 3 } },
    ]);
    map.flyTo({ center: at, zoom: Math.max(map.getZoom(), 14) });
    status.textContent = `我的位置：${at[0].toFixed(5)}, ${at[1].toFixed(5)}（精度约 ${Math.round(accuracy)} 米）`;
    return phone.here;
  }
  document.getElementById('field-where').addEventListener('click', whereAmI);

  // ---- the forms ---------------------------------------------------------------------------------
  const form = dialog.querySelector('form');
  const close = () => dialog.close();
  const open = (title, html, submit) => {
    form.innerHTML = `<h2>${esc(title)}</h2>${html}
      <label class="check"><input type="checkbox" name="keep"> 保留照片的位置等元数据（默认去除）</label>
      <p class="error" id="field-error"></p>
      <div class="row"><button type="button" id="field-cancel">取消</button><button type="submit" class="primary">提交（无网络时自动排队）</button></div>`;
    form.querySelector('#field-cancel').addEventListener('click', close);
    form.onsubmit = async (e) => {
      e.preventDefault();
      const error = form.querySelector('#field-error');
      try {
        await submit(new FormData(form));
        close();
      } catch (err) {
        error.textContent = err.message;
      }
    };
    dialog.showModal();
  };
  const photos = '<label>现场照片 <input type="file" name="photos" accept="image/jpeg,image/png" capture="environment" multiple></label>';
  const need = (data, ...names) => {
    for (const n of names) if (!String(data.get(n) ?? '').trim()) throw new Error(`请填写：${form.querySelector(`[name="${n}"]`)?.closest('label')?.firstChild?.textContent?.trim() ?? n}`);
  };

  async function reportHere() {
    const here = phone.here ?? await whereAmI();
    if (!here) return;
    // Open incidents nearest first: a follow-up is most often for the one at hand.
    const open_ = (await api('/api/overview').catch(() => null))?.incidents.list ?? [];
    const d = (i) => Math.hypot(i.position[0] - here.at[0], (i.position[1] - here.at[1]) * 1.15);
    open_.sort((a, b) => d(a) - d(b));
    const unit = onemap.me?.district_name ? `${onemap.me.district_name}生态环境局` : '';
    open(`现场上报（${here.at[0].toFixed(4)}, ${here.at[1].toFixed(4)}）`, `
      <label>上报类型 <select name="mode"><option value="new">新事件初报</option>
        ${open_.map((i) => `<option value="${i.id}">续报：${esc(i.name)}</option>`).join('')}</select></label>
      <div data-for="new">
        <label>事件名称 <input name="name" maxlength="100"></label>
        <label>类型 <select name="kind">${words.codes('incident_kind').map((v) => `<option value="${esc(v)}">${esc(words.label('incident_kind', v))}</option>`).join('')}</select></label>
        <label>级别 <select name="severity">${words.codes('severity').map((v) => `<option>${esc(v)}</option>`).join('')}</select></label>
        <label>起因 <select name="cause">${words.codes('incident_cause').map((v) => `<option value="${esc(v)}">${esc(words.label('incident_cause', v))}</option>`).join('')}</select></label>
        <label>事件概况 <textarea name="summary" rows="2"></textarea></label>
        <label>受伤人数 <input type="number" name="injuries" min="0" value="0"></label>
        <label>死亡人数 <input type="number" name="deaths" min="0" value="0"></label>
        <label>已采取措施 <textarea name="measures" rows="2"></textarea></label>
        <label>报告单位 <input name="reporting_unit" value="${esc(unit)}"></label>
        <label>联系人及电话 <input name="contact" value="${esc(onemap.me?.user ?? '')}"></label>
      </div>
      <div data-for="follow" hidden><label>处置进展 <textarea name="progress" rows="3"></textarea></label></div>
      ${photos}`, async (data) => {
      const keep = data.get('keep') === 'on';
      const input = form.querySelector('[name=photos]');
      const mode = data.get('mode');
      if (mode === 'new') {
        need(data, 'name', 'summary', 'measures', 'reporting_unit', 'contact');
        const steps = [
          { method: 'POST', path: '/api/layers/incident', json: { type: 'Feature', geometry: { type: 'Point', coordinates: here.at },
            properties: { name: data.get('name').trim(), kind: data.get('kind'), severity: data.get('severity'), cause: data.get('cause') } } },
          { method: 'POST', path: '/api/incidents/{0.id}/reports', json: { stage: 'initial', summary: data.get('summary').trim(),
            casualties: { injuries: Number(data.get('injuries')) || 0, deaths: Number(data.get('deaths')) || 0 },
            measures: data.get('measures').trim(), reporting_unit: data.get('reporting_unit').trim(), contact: data.get('contact').trim() } },
          { method: 'POST', path: '/api/incidents/{0.id}/reports/{1.id}/submit' },
          ...photoSteps(input, keep, 'report', '{1.id}', here.at),
        ];
        await enqueue(`初报：${data.get('name').trim()}`, steps);
      } else {
        need(data, 'progress');
        const steps = [
          { method: 'POST', path: `/api/incidents/${mode}/reports`, json: { stage: 'follow_up', progress: data.get('progress').trim() } },
          { method: 'POST', path: `/api/incidents/${mode}/reports/{0.id}/submit` },
          ...photoSteps(input, keep, 'report', '{0.id}', here.at),
        ];
        await enqueue(`续报：${open_.find((i) => String(i.id) === mode)?.name ?? mode}`, steps);
      }
    });
    const modeSelect = form.querySelector('[name=mode]');
    modeSelect.addEventListener('change', () => {
      form.querySelector('[data-for=new]').hidden = modeSelect.value !== 'new';
      form.querySelector('[data-for=follow]').hidden = modeSelect.value === 'new';
    });
  }
  document.getElementById('field-report').addEventListener('click', reportHere);

  async function inspectHere() {
    const here = phone.here ?? await whereAmI();
    if (!here) return;
    const around = await api(`/api/around?lon=${here.at[0]}&lat=${here.at[1]}&radius_m=5000&layers=risk_source`).catch(() => null);
    // Offline: the risk sources of the map's tiles, by straight distance.
    const features = around?.features ?? nearbyOnMap(here.at, 5000);
    const sources = features.filter((f) => f.properties.layer === 'risk_source').sort((a, b) => a.properties.distance_m - b.properties.distance_m).slice(0, 8);
    if (!sources.length) {
      status.textContent = '5 公里内没有登记的风险源';
      return;
    }
    const today = new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
    open('隐患排查', `
      <label>风险源 <select name="source">${sources.map((f) => `<option value="${f.id}">${esc(f.properties.name)}（${Math.round(f.properties.distance_m)} 米）</option>`).join('')}</select></label>
      <label>排查发现 <textarea name="finding" rows="3"></textarea></label>
      <label>隐患级别 <select name="severity">${words.codes('hazard_severity').map((v) => `<option>${esc(v)}</option>`).join('')}</select></label>
      <label>整改期限 <input type="date" name="due_date" min="${today}"></label>
      ${photos}`, async (data) => {
      need(data, 'finding');
      const keep = data.get('keep') === 'on';
      const name = form.querySelector('[name=source]').selectedOptions[0].textContent;
      const properties = { risk_source_id: Number(data.get('source')), inspected_on: today, finding: data.get('finding').trim(), severity: data.get('severity') };
      if (data.get('due_date')) properties.due_date = data.get('due_date');
      await enqueue(`隐患排查：${name}`, [
        { method: 'POST', path: '/api/layers/inspection', json: { type: 'Feature', geometry: null, properties } },
        ...photoSteps(form.querySelector('[name=photos]'), keep, 'inspection', '{0.id}', here.at),
      ]);
    });
  }
  document.getElementById('field-inspect').addEventListener('click', inspectHere);

  // ---- my orders (我的指令): acknowledged or done from the field, through the outbox -----------------
  const ORDERS_KEPT = 'onemap-my-orders';
  async function myOrders() {
    // Online: the orders as they stand, kept for the next time the network is gone.
    let orders = await api('/api/orders?mine=true').then((b) => b.orders, () => null);
    if (orders) localStorage.setItem(ORDERS_KEPT, JSON.stringify(orders));
    else orders = JSON.parse(localStorage.getItem(ORDERS_KEPT) ?? '[]');
    const open_ = orders.filter((o) => o.status === 'issued' || o.status === 'acknowledged');
    if (!open_.length) {
      status.textContent = '没有待办指令';
      return;
    }
    const due = (o) => new Date(o.due_at).toLocaleTimeString('zh-CN', { hour: '2-digit', minute: '2-digit' });
    open('我的指令', `
      <label>指令 <select name="order">${open_.map((o) => `<option value="${o.id}">${o.drill ? '【演练】' : ''}${esc(o.what)}（${esc(words.label('order_status', o.status))}，${due(o)} 前）</option>`).join('')}</select></label>
      <label>操作 <select name="step">${[['acknowledge', 'acknowledged'], ['done', 'done']]
        .map(([step, state]) => `<option value="${step}">记为${esc(words.label('order_status', state))}</option>`).join('')}</select></label>
      <label>情况说明 <textarea name="note" rows="2"></textarea></label>
      ${photos}`, async (data) => {
      const order = open_.find((o) => String(o.id) === data.get('order'));
      const step = data.get('step');
      const note = String(data.get('note') ?? '').trim();
      const here = phone.here;
      const json = { ...(note ? { note } : {}), ...(step === 'done' && here ? { point: here.at } : {}) };
      // The photos follow the answer: an order takes photos once acknowledged or done.
      const input = form.querySelector('[name=photos]');
      if (input.files.length && !here) throw new Error('请先定位，再附现场照片');
      await enqueue(`${step === 'done' ? '完成' : '签收'}指令：${order.what}`, [
        { method: 'POST', path: `/api/orders/${order.id}/${step}`, json },
        ...(input.files.length ? photoSteps(input, data.get('keep') === 'on', 'order', String(order.id), here.at) : []),
      ]);
    });
  }
  document.getElementById('field-orders').addEventListener('click', myOrders);

  // ---- field readings (现场监测): a value at an emergency sampling point, through the outbox -------
  const POINTS_KEPT = 'onemap-sampling-points';
  async function reading() {
    const expand = 'Locations($select=location),Datastreams($select=id,unitOfMeasurement;$expand=ObservedProperty($select=name))';
    let things = await api(`/sta/v1.1/Things?$filter=${encodeURIComponent('properties/sampling_point ne null')}&$orderby=id desc&$top=100&$expand=${encodeURIComponent(expand)}`)
      .then((b) => b.value, () => null);
    if (things) localStorage.setItem(POINTS_KEPT, JSON.stringify(things));
    else things = JSON.parse(localStorage.getItem(POINTS_KEPT) ?? '[]');
    const here = phone.here?.at;
    const far = (t) => (here && t.Locations[0] ? metres(here, t.Locations[0].location.coordinates) : 0);
    const streams = things.sort((a, b) => far(a) - far(b)).flatMap((t) => t.Datastreams.map((d) => ({ t, d })));
    if (!streams.length) {
      status.textContent = '没有应急监测采样点（监测方案下达后才有）';
      return;
    }
    const now = new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16);
    open('现场监测', `
      <label>点位与项目 <select name="stream">${streams.map(({ t, d }) => `<option value="${d['@iot.id']}">${esc(t.name)} · ${esc(d.ObservedProperty.name)}（${esc(d.unitOfMeasurement.symbol)}）`
        + `${here ? `${Math.round(far(t))} 米` : ''}</option>`).join('')}</select></label>
      <label>采样时间 <input type="datetime-local" name="at" value="${now}" max="${now}"></label>
      <label>测定值 <input type="number" name="value" step="any" required></label>
      <label>方法 <input name="method" value="便携式快速检测" maxlength="200"></label>`, async (data) => {
      const value = Number(data.get('value'));
      if (data.get('value') === '' || !Number.isFinite(value)) throw new Error('请填写测定值');
      const at = new Date(String(data.get('at'))).toISOString();
      const chosen = streams.find(({ d }) => String(d['@iot.id']) === data.get('stream'));
      const method = String(data.get('method') ?? '').trim();
      await enqueue(`现场监测：${chosen.t.name} ${chosen.d.ObservedProperty.name} ${value}`, [{
        method: 'POST', path: `/sta/v1.1/Datastreams(${chosen.d['@iot.id']})/Observations`,
        json: { phenomenonTime: at, result: value, parameters: { method, ...(here ? { taken_at: here } : {}) } },
      }]);
    });
  }
  document.getElementById('field-reading').addEventListener('click', reading);

  // ---- what waits to be sent ---------------------------------------------------------------------
  const outbox = document.getElementById('field-outbox');
  watch((all) => {
    phone.waiting = all.length;
    phone.sent = sentJobs();
    outbox.innerHTML = all.map((j) => `<li data-key="${esc(j.key)}" class="${j.state}">${esc(j.title)}
      <span class="meta">${j.state === 'refused' ? `被拒绝：${esc(j.error)}` : j.state === 'sign-in' ? '请重新登录，登录后自动发送'
        : `待发送（${j.results.length}/${j.steps.length}）`}</span>
      ${j.state === 'refused' ? '<button type="button" class="discard">移除</button>' : ''}</li>`).join('');
    for (const b of outbox.querySelectorAll('.discard')) b.addEventListener('click', () => discard(b.closest('li').dataset.key));
    if (!all.length && phone.sent) status.textContent = `已全部发送（本次 ${phone.sent} 件）`;
  });
  phone.flush = async () => { await flush(); return (await jobs()).length; };
  flush();
  return phone;
}
