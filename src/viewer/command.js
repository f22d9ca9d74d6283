// The response in the desk's incident detail (应急响应): its level and command post, the plans
// onemap suggests with a button to activate them, and the orders as a checklist by module with
// each order's state — the command declares, activates and answers here.
import { api, esc } from './api.js';
import * as words from './words.js';

const time = (t) => new Date(t).toLocaleTimeString('zh-CN', { hour: '2-digit', minute: '2-digit' });

function order(o, canWrite) {
  const late = [o.ack_overdue ? '<span class="badge overdue">未签收超时</span>' : '', o.overdue ? '<span class="badge overdue">已超期</span>' : ''].join('');
  const open = o.status === 'issued' || o.status === 'acknowledged';
  const buttons = !canWrite ? ''
    : o.status === 'draft' ? `<button type="button" data-send="${o.id}">发送</button>`
    : open ? `${o.status === 'issued' ? `<button type="button" data-ack="${o.id}">签收</button>` : ''}<button type="button" data-done="${o.id}">完成</button>`
    : '';
  return `<li class="order ${esc(o.status)}" data-order="${o.id}"><span class="standing">${esc(words.label('order_status', o.status))}</span> `
    + `${esc(o.what)}<span class="meta">${esc(o.crossing?.place ?? o.to_ref)} · ${esc(time(o.due_at))} 前</span>${late}`
    + `${o.note ? `<span class="meta">${esc(o.note)}</span>` : ''}`
    + `${o.photos ? `<a class="meta" href="/api/attachments?record=order&record_id=${o.id}" target="_blank">照片 ${o.photos}</a>` : ''}${buttons}</li>`;
}

/** The response part of incident `id`'s detail, and how to wire its buttons. */
export async function responsePart(id, canWrite) {
  const response = await api(`/api/incidents/${id}/response`).catch((e) => (e.status === 404 ? null : Promise.reject(e)));
  const suggested = canWrite && !response?.ended_at ? (await api(`/api/incidents/${id}/response/suggested`)).plans : [];
  const active = new Set((response?.activations ?? []).map((a) => a.plan_id));
  const plans = suggested.filter((p) => !active.has(p.plan_id)).map((p) => `<li data-plan="${p.plan_id}">${esc(p.name)}`
    + `${p.scenario ? `<span class="meta">情景：${esc(p.scenario)}</span>` : ''}`
    + `${response ? `<button type="button" data-activate="${p.plan_id}">启动预案</button>` : ''}</li>`).join('');
  let html;
  if (!response) {
    const levels = words.codes('response_level').map((c) => `<option value="${esc(c)}">${esc(words.label('response_level', c))}</option>`).join('');
    html = `<div class="response"><div class="popup-sub">应急响应</div><div class="hint">未启动响应</div>${canWrite
      ? `<form class="respond row"><select name="level">${levels}</select><input name="why" placeholder="启动理由" required maxlength="2000"><button type="submit">启动响应</button></form>`
      : ''}${plans ? `<div class="hint">建议启动的预案</div><ul class="suggested">${plans}</ul>` : ''}</div>`;
  } else {
    const byModule = words.codes('order_module').map((m) => [m, response.orders.filter((o) => o.module === m)]).filter(([, os]) => os.length);
    const done = response.orders.filter((o) => o.status === 'done').length;
    html = `<div class="response"><div class="popup-sub">应急响应 <span class="standing" style="background:${esc(words.colour('response_level', response.level, '#999'))}">`
      + `${esc(words.label('response_level', response.level))}</span>${response.ended_at ? ' 已终止' : ''}</div>`
      + `${response.command_post ? `<div class="hint">指挥部：${esc(response.command_post)}</div>` : ''}`
      + `${response.activations.map((a) => `<div class="hint">已启动：${esc(a.plan)}</div>`).join('')}`
      + `${plans ? `<ul class="suggested">${plans}</ul>` : ''}`
      + `<div class="hint">指令 ${done}/${response.orders.length} 已完成${canWrite && !response.ended_at
        ? ' <button type="button" class="crossings" title="沿河追踪 24 小时，起草致下游区县和相邻市的跨界通报">起草跨界通报</button>' : ''}</div>`
      + `<div class="checklist">${byModule.map(([m, os]) => `<div class="module" data-module="${esc(m)}"><b>${esc(words.label('order_module', m))}</b>`
        + `<ul>${os.map((o) => order(o, canWrite && !response.ended_at)).join('')}</ul></div>`).join('')}</div>`
      + `${canWrite && !response.ended_at ? '<form class="end row"><input name="end" placeholder="终止条件（如：污染源已控制，监测连续达标）" required maxlength="4000"><button type="submit">应急终止</button></form>' : ''}`
      + `${response.ended_at ? `<div class="hint">终止条件：${esc(response.end_conditions ?? '')}</div>` : ''}</div>`;
  }
  const wire = (root, reload) => {
    const said = (err) => { root.querySelector('.response .hint')?.replaceChildren(err.message); };
    root.querySelector('form.respond')?.addEventListener('submit', async (e) => {
      e.preventDefault();
      const data = new FormData(e.target);
      await api(`/api/incidents/${id}/response`, { method: 'POST', body: { level: data.get('level'), why: String(data.get('why')).trim() } }).then(reload, said);
    });
    for (const b of root.querySelectorAll('[data-activate]')) {
      b.addEventListener('click', () => api(`/api/incidents/${id}/response`, { method: 'POST', body: { activate: [{ plan_id: Number(b.dataset.activate) }] } }).then(reload, said));
    }
    root.querySelector('form.end')?.addEventListener('submit', async (e) => {
      e.preventDefault();
      const end = String(new FormData(e.target).get('end')).trim();
      await api(`/api/incidents/${id}/response`, { method: 'POST', body: { end } }).then(reload, said);
    });
    root.querySelector('button.crossings')?.addEventListener('click', () => api(`/api/incidents/${id}/crossings`, { method: 'POST', body: {} })
      .then((r) => (r.orders.length ? reload() : said(new Error('沿河追踪 24 小时未跨出本区县，无需跨界通报'))), said));
    for (const [attr, step] of [['ack', 'acknowledge'], ['done', 'done'], ['send', 'send']]) {
      for (const b of root.querySelectorAll(`[data-${attr}]`)) {
        b.addEventListener('click', () => api(`/api/orders/${b.dataset[attr]}/${step}`, { method: 'POST', body: {} }).then(reload, said));
      }
    }
  };
  return { html, wire };
}
