// Mutual aid (应急支援) in an incident's detail on the desk: the district's requests to the city
// with what they ask and where they stand; a form to file one (a district's duty officer, or
// the city for a district); and, for the city, the decision — each demand's amount approved
// (all, part or none) with the reason, dispatched from the other districts' depots and teams.
import { api, esc, when } from './api.js';
import * as words from './words.js';

/** What a demand asks for, in words. */
const asked = (d) => (d.specialty ? `${words.label('specialty', d.specialty)} ${d.count} 支` : `${d.item ?? d.category} ${d.quantity}${d.unit ? ` ${d.unit}` : ''}`);
const amount = (d) => d.count ?? d.quantity;
/** The incidents whose support part the user opened: the feed redraws the detail, and it stays open. */
const opened = new Set();

/** The support part of incident `id` for `me` (may write: `canWrite`), and how to wire it. */
export async function supportPart(id, canWrite, me) {
  const requests = (await api(`/api/incidents/${id}/support`).catch(() => ({ requests: [] }))).requests;
  const city = canWrite && !me.district;
  const item = (r) => {
    const approved = r.approved ?? [];
    const lines = r.demands.map((d, i) => `<li>${esc(asked(d))}${r.status !== 'filed' ? `<span class="meta">批准 ${esc(approved[i] ?? 0)}</span>` : ''}`
      + `${city && r.status === 'filed' ? ` <input type="number" min="0" max="${esc(amount(d))}" step="any" value="${esc(amount(d))}" data-amount="${i}" aria-label="批准数量">` : ''}</li>`).join('');
    const decide = city && r.status === 'filed'
      ? `<form class="decide row" data-request="${r.id}"><input name="note" placeholder="理由（部分批准或不批准时必填）" maxlength="2000">`
        + '<button type="submit">批准</button><button type="button" class="decline">不批准</button></form>'
      : '';
    return `<li class="support ${esc(r.status)}" data-request="${r.id}"><span class="standing">${esc(words.label('support_status', r.status))}</span> `
      + `${esc(r.district_name ?? r.district)}<span class="meta">${esc(when(r.needed_by))} 前 · 优先级 ${esc(r.priority)}</span>`
      + `<ul>${lines}</ul>${r.decision_note ? `<div class="hint">${esc(r.decision_note)}</div>` : ''}`
      + `${r.dispatch_ids.length ? `<div class="hint">已调派 ${r.dispatch_ids.length} 批</div>` : ''}${decide}</li>`;
  };
  const specialties = words.codes('specialty').map((c) => `<option value="${esc(c)}">${esc(words.label('specialty', c))}</option>`).join('');
  const file = canWrite
    ? `<form class="file-support"><div class="row"><select name="kind"><option value="item">物资</option><option value="specialty">队伍</option></select>`
      + `<input name="goods" placeholder="物资名称（如：围油栏）" maxlength="200"><select name="specialty" hidden>${specialties}</select>`
      + `<input name="amount" type="number" min="0" step="any" placeholder="数量" required></div>`
      + `<div class="row"><input name="unit" placeholder="单位（可省）" maxlength="50"><input name="minutes" type="number" min="1" value="120" aria-label="多少分钟内需要">`
      + `<span class="meta">分钟内</span>${me.district ? '' : '<input name="district" placeholder="申请区县代码" pattern="[0-9]{6}" required>'}`
      + '<button type="submit">申请支援</button></div></form>'
    : '';
  const html = requests.length || file
    ? `<details class="support-requests"${requests.length || opened.has(id) ? ' open' : ''}><summary>应急支援（${requests.length}）</summary>`
      + `<ul>${requests.map(item).join('')}</ul>${file}<p class="hint support-said"></p></details>`
    : '';
  const wire = (root, reload) => {
    const said = (err) => { const p = root.querySelector('.support-said'); if (p) p.textContent = err.message; };
    root.querySelector('details.support-requests')?.addEventListener('toggle', (e) => {
      if (e.target.open) opened.add(id); else opened.delete(id);
    });
    const form = root.querySelector('form.file-support');
    form?.elements.kind.addEventListener('change', () => {
      const teams = form.elements.kind.value === 'specialty';
      form.elements.goods.hidden = teams;
      form.elements.unit.hidden = teams;
      form.elements.specialty.hidden = !teams;
    });
    form?.addEventListener('submit', async (e) => {
      e.preventDefault();
      const f = form.elements;
      const demand = f.kind.value === 'specialty'
        ? { specialty: f.specialty.value, count: Number(f.amount.value) }
        : { item: f.goods.value.trim(), quantity: Number(f.amount.value), ...(f.unit.value.trim() ? { unit: f.unit.value.trim() } : {}) };
      const body = { demands: [demand], needed_in_minutes: Number(f.minutes.value), ...(f.district ? { district: f.district.value } : {}) };
      await api(`/api/incidents/${id}/support`, { method: 'POST', body }).then(reload, said);
    });
    for (const d of root.querySelectorAll('form.decide')) {
      const send = (approve) => {
        const note = d.elements.note.value.trim();
        return api(`/api/support/${d.dataset.request}/decide`, { method: 'POST', body: { approve, ...(note ? { note } : {}) } }).then(reload, said);
      };
      const amounts = () => [...d.closest('li.support').querySelectorAll('[data-amount]')].map((i) => Number(i.value));
      d.addEventListener('submit', (e) => { e.preventDefault(); send(amounts()); });
      d.querySelector('.decline').addEventListener('click', () => send(amounts().map(() => 0)));
    }
  };
  return { html, wire };
}
