// Emergency monitoring in the desk's incident detail (应急监测): propose the plan (with the
// released mass for the prediction), see its points, issue it as orders, and follow each
// point's readings against the prediction (ECharts), with the proposal to lift the warning.
import { api, esc } from './api.js';
import * as words from './words.js';

const hours = (h) => (h < 0 ? `上游 ${-h} 小时` : h === 0 ? '事发点' : `下游 ${h} 小时`);

/** Draws each point's predicted (dashed) and measured (solid) values, and the limit. */
async function draw(el, plan) {
  const echarts = await import('/vendor/echarts.esm.min.mjs');
  const chart = echarts.getInstanceByDom(el) ?? echarts.init(el, null, { renderer: 'canvas' });
  const shown = plan.points.filter((p) => p.kind !== 'control' && (p.predicted.length || plan.measured.some((m) => m.name === p.name))).slice(0, 4);
  const series = shown.flatMap((p, i) => {
    const colour = ['#2171b5', '#cb181d', '#238b45', '#6a51a3'][i];
    const measured = plan.measured.find((m) => m.name === p.name)?.values ?? [];
    return [
      { name: `${p.name}（预测）`, type: 'line', showSymbol: false, lineStyle: { type: 'dashed', color: colour }, itemStyle: { color: colour }, data: p.predicted },
      { name: `${p.name}（实测）`, type: 'line', symbolSize: 5, lineStyle: { color: colour }, itemStyle: { color: colour }, data: measured },
    ];
  });
  series.push({ name: `Ⅲ类限值 ${plan.limit}`, type: 'line', showSymbol: false, lineStyle: { color: '#999', type: 'dotted' },
    data: [[plan.points[0]?.frequency[0]?.from ?? plan.released_at, plan.limit], [new Date(Date.now() + 86400000).toISOString(), plan.limit]] });
  chart.setOption({
    animation: false,
    grid: { left: 40, right: 10, top: 50, bottom: 25 },
    legend: { type: 'scroll', top: 0, textStyle: { fontSize: 10 } },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'time' },
    yAxis: { type: 'value', name: `${plan.item} ${plan.unit}`, nameTextStyle: { fontSize: 10 } },
    series,
  }, true);
  return chart;
}

/** The monitoring part of incident `id`'s detail, and how to wire its buttons. */
export async function monitoringPart(id, canWrite, open) {
  const plan = await api(`/api/incidents/${id}/monitoring-plan`).catch((e) => (e.status === 404 || e.status === 409 ? null : Promise.reject(e)));
  let html;
  if (!plan) {
    html = `<div class="monitoring"><div class="popup-sub">应急监测</div><div class="hint">尚无监测方案</div>${canWrite && open
      ? '<form class="monitoring-plan row"><input name="mass_t" type="number" min="0" step="any" placeholder="泄漏量（吨，可空）" style="width:9em">'
        + '<button type="submit">拟定监测方案</button></form>' : ''}</div>`;
  } else {
    const points = plan.points.map((p) => `<li>${esc(words.label('sampling_kind', p.kind))} ${esc(p.name)}<span class="meta">${esc(hours(p.hours))}`
      + `${p.team ? ` · ${esc(p.team[1])}` : ''}</span></li>`).join('');
    html = `<div class="monitoring"><div class="popup-sub">应急监测 <span class="standing">${esc(words.label('monitoring_plan_status', plan.status))}</span>`
      + `${plan.status === 'draft' && canWrite ? ' <button type="button" class="issue-plan">下达监测指令</button>' : ''}</div>`
      + `${plan.propose_lifting ? '<div class="hint lift">各点位峰值后已连续达标：建议解除预警</div>' : ''}`
      + `<details><summary>采样点位 ${plan.points.length} 个（${esc(plan.item)}）</summary><ul>${points}</ul></details>`
      + '<div class="chart monitoring-chart"></div></div>';
  }
  const wire = (root, reload) => {
    const said = (err) => { root.querySelector('.monitoring .hint')?.replaceChildren(err.message); };
    root.querySelector('form.monitoring-plan')?.addEventListener('submit', async (e) => {
      e.preventDefault();
      const t = Number(new FormData(e.target).get('mass_t'));
      await api(`/api/incidents/${id}/monitoring-plan`, { method: 'POST', body: t > 0 ? { mass_kg: t * 1000 } : {} }).then(reload, said);
    });
    root.querySelector('button.issue-plan')?.addEventListener('click', () => api(`/api/incidents/${id}/monitoring-plan/issue`, { method: 'POST' }).then(reload, said));
    const el = root.querySelector('.monitoring-chart');
    if (el && plan) draw(el, plan).catch((err) => console.warn(err));
  };
  return { html, wire };
}
