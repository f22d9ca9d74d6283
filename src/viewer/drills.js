// The desk's drills (应急演练) of the year: each with its plan, time and state, started and
// finished here (finishing takes the evaluation and the findings that call for the plan's
// revision); how many plans in force were drilled (coverage); and a form to schedule a drill of
// a plan's scenario. A running drill's incident is on the duty list, marked 演练.
import { api, esc, when } from './api.js';
import * as words from './words.js';

/** Most plans whose scenarios the schedule form offers. */
const MOST_PLANS = 30;

export function startDrills({ may }) {
  const list = document.getElementById('drill-list');
  if (!list) return { onEvent() {} };
  const canRun = may.includes('handle_incidents');
  const coverage = document.getElementById('drill-coverage');
  const planner = document.getElementById('drill-plan');
  const state = { year: null };
  const said = (err) => { coverage.textContent = err.message; };

  async function load() {
    const year = await api('/api/drills');
    state.year = year;
    coverage.textContent = year.plans.length
      ? `在用预案 ${year.plans.length} 件，本年度已演练 ${year.drilled} 件（${Math.round((year.coverage ?? 0) * 100)}%）`
      : '无在用预案';
    list.innerHTML = year.drills.map((d) => `<li class="drill-item ${esc(d.status)}" data-drill="${d.id}">`
      + `<span class="badge drill">${esc(words.label('drill_status', d.status))}</span> `
      + `${esc(d.title)}<span class="meta">${esc(d.plan)} · ${esc(when(d.scheduled_for))}</span>`
      + `${d.participants.length ? `<div class="hint">参演：${esc(d.participants.join('、'))}</div>` : ''}`
      + `${d.evaluation ? `<div class="hint">评估：${esc(d.evaluation)}</div>` : ''}`
      + `${canRun && d.status === 'scheduled' ? `<button type="button" data-start="${d.id}">开始演练</button><button type="button" data-cancel="${d.id}">取消</button>` : ''}`
      + `${canRun && d.status === 'running' ? `<form class="finish" data-drill="${d.id}"><input name="evaluation" placeholder="评估总结" maxlength="8000">`
        + '<input name="findings" placeholder="需修订预案的问题（以；分隔，可省）" maxlength="4000"><button type="submit">结束演练</button></form>' : ''}</li>`)
      .join('') || '<li class="hint">本年度尚无演练</li>';
    for (const b of list.querySelectorAll('[data-start]')) {
      b.addEventListener('click', () => api(`/api/drills/${b.dataset.start}/start`, { method: 'POST', body: {} }).then(load, said));
    }
    for (const b of list.querySelectorAll('[data-cancel]')) {
      b.addEventListener('click', () => {
        const why = prompt('取消演练的原因');
        if (why?.trim()) api(`/api/drills/${b.dataset.cancel}/cancel`, { method: 'POST', body: { evaluation: why.trim() } }).then(load, said);
      });
    }
    for (const f of list.querySelectorAll('form.finish')) {
      f.addEventListener('submit', (e) => {
        e.preventDefault();
        const evaluation = f.elements.evaluation.value.trim();
        const findings = f.elements.findings.value.split(/[；;]/).map((x) => x.trim()).filter(Boolean);
        api(`/api/drills/${f.dataset.drill}/finish`, { method: 'POST', body: { ...(evaluation ? { evaluation } : {}), findings } }).then(load, said);
      });
    }
    planner.innerHTML = canRun && year.plans.length ? '<button type="button" class="schedule">安排演练</button>' : '';
    planner.querySelector('.schedule')?.addEventListener('click', scheduleForm);
  }

  // The scenarios of the plans in force, as their versions in force have them.
  async function scheduleForm() {
    const plans = await Promise.all(state.year.plans.slice(0, MOST_PLANS).map((p) => api(`/api/plans/${p.plan_id}`).catch(() => null)));
    const options = plans.filter(Boolean).flatMap((p) => (p.versions ?? []).filter((v) => v.status === 'in_force')
      .flatMap((v) => (v.scenarios ?? []).map((s) => `<option value="${s.id}">${esc(p.name)}：${esc(s.title)}</option>`)));
    if (!options.length) {
      planner.innerHTML = '<p class="hint">在用预案中没有情景，无法安排演练</p>';
      return;
    }
    const tomorrow = new Date(Date.now() + 86400000);
    tomorrow.setMinutes(tomorrow.getMinutes() - tomorrow.getTimezoneOffset());
    planner.innerHTML = `<form class="schedule-drill"><select name="scenario">${options.join('')}</select>`
      + `<input type="datetime-local" name="at" value="${tomorrow.toISOString().slice(0, 16)}" required>`
      + '<input name="participants" placeholder="参演单位（以、分隔）" maxlength="2000"><button type="submit">确定</button></form>';
    planner.querySelector('form').addEventListener('submit', (e) => {
      e.preventDefault();
      const f = e.target.elements;
      const participants = f.participants.value.split(/[、,，]/).map((x) => x.trim()).filter(Boolean);
      const body = { scenario_id: Number(f.scenario.value), scheduled_for: new Date(f.at.value).toISOString(), participants };
      api('/api/drills', { method: 'POST', body }).then(load, said);
    });
  }

  let pending = null;
  const soon = () => { clearTimeout(pending); pending = setTimeout(() => load().catch(said), 300); };
  load().catch(said);
  return { onEvent(kind) { if (['plan', 'response', 'incident', 'reload'].includes(kind)) soon(); } };
}
