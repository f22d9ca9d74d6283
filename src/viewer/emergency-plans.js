// A risk source's emergency plans (应急预案; plan.js is a dispatch plan) in its popup: each with
// where it stands on the legal clock and the live checks (in force, to revise, due, overdue),
// its filing number, the reasons it no longer holds, and its cards for printing.
import { api, esc } from './api.js';
import * as words from './words.js';

/** Most plans listed in a popup. */
const MOST = 5;

/** The popup's part on the plans covering risk source `id` (nothing for other layers). */
export async function plansOf(layer, id) {
  if (layer !== 'risk_source') return '';
  const list = (await api(`/api/plans?risk_source_id=${id}`).catch(() => null))?.plans;
  if (!list) return '';
  if (!list.length) return '<div class="plans"><div class="popup-sub">应急预案</div><div class="hint">无应急预案</div></div>';
  const plans = await Promise.all(list.slice(0, MOST).map((p) => api(`/api/plans/${p.id}`).catch(() => p)));
  const item = (p) => {
    const standing = p.standing ?? (p.in_force_on ? 'in_force' : 'none');
    const flags = (p.flags ?? []).map((f) => `<li>${esc(words.label('revision_reason', f.reason))}：${esc(f.detail)}</li>`).join('');
    const cards = p.versions?.some((v) => v.scenarios?.length) ? ` <a href="/api/plans/${p.id}/card.html" target="_blank" rel="noopener">处置卡</a>` : '';
    return `<li data-plan="${p.id}"><span class="standing" style="background:${esc(words.colour('plan_standing', standing, '#999'))}">`
      + `${esc(words.label('plan_standing', standing))}</span> ${esc(p.name)}`
      + `${p.filing_number ? `<span class="meta">${esc(p.filing_number)}</span>` : ''}${cards}`
      + `${flags ? `<ul class="flags">${flags}</ul>` : ''}</li>`;
  };
  return `<div class="plans"><div class="popup-sub">应急预案</div><ul>${plans.map(item).join('')}</ul></div>`;
}

/** Most deadlines the desk lists. */
const DESK_MOST = 12;

/** The desk's list of plan deadlines near or past and plans to revise, worst first; it follows
 * the feed (`plan_due`, `plan_flag`) and looks again every ten minutes. */
export function startPlanDeadlines() {
  const list = document.getElementById('plan-due');
  if (!list) return { onEvent() {} };
  async function load() {
    const body = await api('/api/plans/due');
    const pressing = body.entries.filter((e) => ['overdue', 'due_soon', 'revise'].includes(e.standing) && e.plan_id);
    list.innerHTML = pressing.slice(0, DESK_MOST).map((e) => `<li class="plan-due ${esc(e.standing)}" data-plan="${e.plan_id}">`
      + `<span class="standing" style="background:${esc(words.colour('plan_standing', e.standing, '#999'))}">${esc(words.label('plan_standing', e.standing))}</span> `
      + `${esc(e.plan ?? '')}<span class="meta">${esc(e.district_name ?? '')}${e.due_on ? ` · ${esc(e.due_on)}` : ''}</span>`
      + `<div class="hint">${esc(e.detail)}</div></li>`).join('') || '<li class="hint">无逾期或即将到期的预案事项</li>';
  }
  let pending = null;
  const soon = () => { clearTimeout(pending); pending = setTimeout(() => load().catch(() => {}), 300); };
  setInterval(soon, 600000);
  load().catch(() => {});
  return { onEvent(kind) { if (['plan_due', 'plan_flag', 'plan', 'reload'].includes(kind)) soon(); } };
}
