// The after-action part of an incident's detail on the desk: similar past cases (the same
// substance and medium first) with their figures and lessons, and — once the response has ended
// or the incident is closed — the figures of how this response went and its corrective actions.
import { api, esc, when } from './api.js';
import * as words from './words.js';

const min = (v) => (v == null ? '—' : `${v} 分钟`);

/** The after-action part of incident `id` (its properties `p`). */
export async function reviewPart(id, p) {
  const like = new URLSearchParams({ medium: p.kind, exclude: String(id), limit: '5' });
  if (p.pollutant) like.set('substance', p.pollutant);
  const [cases, review] = await Promise.all([
    api(`/api/cases?${like}`).then((b) => b.cases, () => []),
    api(`/api/incidents/${id}/review`).catch(() => null),
  ]);
  const similar = cases.length
    ? `<details class="cases"><summary>类似案例（${cases.length}）</summary><ol>${cases.map((c) => `<li data-case="${c.id}">${esc(c.name)}`
      + `<span class="meta">${esc(new Date(c.occurred_at).getFullYear())} · ${esc(c.pollutant ?? '')} · ${esc(words.label('incident_cause', c.cause ?? ''))}`
      + ` · 初报 ${esc(min(c.written_report_min))} · 首到 ${esc(min(c.first_arrival_min))}</span>`
      + `${c.lessons ? `<div class="hint">教训：${esc(c.lessons)}</div>` : ''}</li>`).join('')}</ol></details>`
    : '';
  let after = '';
  if (review?.over) {
    const f = review.figures;
    const rows = [
      ['接警至立案', f.intake_to_incident_min], ['电话报告', f.phone_report_min], ['书面初报', f.written_report_min],
      ['启动响应', f.response_min], ['首条指令', f.first_order_min], ['首支力量到场', f.first_arrival_min],
      ['响应持续', f.response_duration_min],
    ];
    const intakes = f.intakes.map((i) => `<li>${esc(i.name)}：${i.lead_min == null ? '未预警' : `提前 ${esc(i.lead_min)} 分钟预警`}</li>`).join('');
    const actions = review.actions.map((a) => `<li class="${a.overdue ? 'overdue' : ''}">${esc(a.what)}<span class="meta">${esc(a.owner)} · ${esc(a.due_on)} 前 · `
      + `${a.status === 'done' ? '已完成' : a.overdue ? '已逾期' : '整改中'}</span></li>`).join('');
    after = `<details class="review" open><summary>复盘</summary><table class="figures">${rows
      .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(min(v))}</td></tr>`).join('')}`
      + `<tr><th>指令完成</th><td>${f.orders_done}/${f.orders.length}（超时 ${f.orders_late}）</td></tr></table>`
      + `${intakes ? `<div class="hint">取水口预警提前量</div><ul>${intakes}</ul>` : ''}`
      + `${review.record?.lessons ? `<div class="hint">教训：${esc(review.record.lessons)}</div>` : ''}`
      + `${actions ? `<div class="hint">整改措施</div><ul class="actions">${actions}</ul>` : ''}`
      + `<div class="hint">计时起点 ${esc(when(f.clock_start))}</div></details>`;
  }
  return after + similar;
}
