// The duty desk panel: open incidents with their report deadlines (overdue ones ringed on the
// map), an incident's reports, timeline and printable report, and the report form.
import { api, esc, when } from './api.js';
import * as words from './words.js';
import { responsePart } from './command.js';
import { monitoringPart } from './emergency-monitoring.js';
import { reviewPart } from './review.js';
import { supportPart } from './support.js';

// The form of each stage: the report's fields as the server defines them (GET /api/words), but
// those the map and the dispatch records fill in; a few short ones on one line.
const FILLED_IN = ['threatened', 'resources'];
const ONE_LINE = ['reporting_unit', 'contact'];
const HINTS = { pollutants: '（每行：名称 数量）' };
const stageFields = (stage) => words.reportParts(stage).filter((p) => !FILLED_IN.includes(p.name))
  .map((p) => [p.name, p.title + (HINTS[p.name] ?? ''), p.kind === 'text' && ONE_LINE.includes(p.name) ? 'line' : p.kind, p.required]);

/** Minutes from now to `t` (negative: past). */
const minutesTo = (t) => Math.round((new Date(t) - Date.now()) / 60000);

/** The deadline state of an incident's reports: `state` (its css class) and `text`. */
export function deadline(p) {
  const at = (state, text) => ({ state, text });
  if (!p.initial_reported_at) {
    const m = minutesTo(p.initial_report_due_at);
    if (p.initial_report_overdue) return at('overdue', `初报已超时 ${words.span(-m)}`);
    if (p.initial_report_due_soon) return at('due-soon', `初报剩余 ${words.span(m)}`);
    return at('pending', `初报期限 ${when(p.initial_report_due_at)}`);
  }
  return p.final_report_overdue ? at('overdue', '终报已超时') : at('reported', '已初报');
}

export function startDuty({ map, may, overlay, onemap }) {
  const canWrite = may.includes('handle_incidents');
  const list = document.getElementById('duty-incidents');
  const detail = document.getElementById('duty-detail');
  const dialog = document.getElementById('report-dialog');
  const duty = { incidents: [], selected: null, loads: 0 };
  onemap.duty = duty;

  async function load() {
    const body = await api('/api/layers/incident?status=open&limit=500');
    duty.incidents = body.features;
    list.innerHTML = '';
    // Overdue first, then due soon, then by deadline.
    const rank = { overdue: 0, 'due-soon': 1, pending: 2, reported: 3 };
    const rows = body.features.map((f) => ({ f, d: deadline(f.properties) }))
      .sort((a, b) => rank[a.d.state] - rank[b.d.state] || String(a.f.properties.initial_report_due_at).localeCompare(b.f.properties.initial_report_due_at));
    for (const { f, d } of rows) {
      const li = document.createElement('li');
      li.dataset.id = f.id;
      li.className = `duty-incident ${d.state}`;
      li.innerHTML = `${f.properties.drill ? '<span class="badge drill">演练</span>' : ''}${esc(f.properties.name)}<span class="meta">${esc(f.properties.severity)}</span><span class="badge">${esc(d.text)}</span>`;
      li.addEventListener('click', () => select(f.id, true));
      list.appendChild(li);
    }
    if (!rows.length) list.innerHTML = '<li class="hint">无未结事件</li>';
    const overdue = rows.filter((r) => r.d.state === 'overdue').map((r) => ({ ...r.f, properties: { name: r.f.properties.name } }));
    overlay('duty-overdue', { type: 'FeatureCollection', features: overdue }, [{
      id: 'duty-overdue-ring', type: 'circle',
      paint: { 'circle-radius': 16, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#d7191c', 'circle-stroke-width': 3 },
    }]);
    duty.loads += 1;
    if (duty.selected) await select(duty.selected, false);
  }

  // What the user is typing in the detail's forms survives the redraw the feed causes.
  const fieldKey = (e) => `${e.closest('form').className}|${e.closest('[data-request]')?.dataset.request ?? ''}|${e.name}`;
  const typed = () => [...detail.querySelectorAll('form [name]')].filter((e) => e.value && e.type !== 'file').map((e) => [fieldKey(e), e.value]);

  async function select(id, fly) {
    const same = duty.selected === id;
    duty.selected = id;
    const incident = duty.incidents.find((f) => f.id === id) ?? await api(`/api/layers/incident/${id}`);
    if (fly && incident.geometry) map.flyTo({ center: incident.geometry.coordinates, zoom: Math.max(map.getZoom(), 11) });
    const p = incident.properties;
    const [reports, timeline, response, after, support, monitoring] = await Promise.all([api(`/api/incidents/${id}/reports`), api(`/api/incidents/${id}/timeline`),
      responsePart(id, canWrite), reviewPart(id, p), supportPart(id, canWrite && p.status === 'open', onemap.me),
      monitoringPart(id, canWrite, p.status === 'open')]);
    const submitted = (stage) => reports.reports.some((r) => r.stage === stage && r.status === 'submitted');
    const stages = [];
    if (canWrite && p.status === 'open' && !submitted('initial')) stages.push('initial');
    if (canWrite && p.status === 'open' && submitted('initial') && !submitted('final')) stages.push('follow_up');
    if (canWrite && submitted('initial') && !submitted('final')) stages.push('final');
    // Read now, after the awaits: the user may have typed meanwhile.
    const kept = same && duty.selected === id ? typed() : [];
    detail.hidden = false;
    detail.innerHTML = `<div class="duty-title">${esc(p.name)}</div>
      <div class="hint">发现 ${esc(when(p.discovered_at))} · ${esc(deadline(p).text)}</div>
      <div class="row">${stages.map((s) => `<button type="button" data-stage="${s}">填报${words.label('report_stage', s)}</button>`).join('')}
        <a href="/api/incidents/${id}/report.html" target="_blank" rel="noopener">打印报告</a></div>
      <ol class="duty-reports">${reports.reports.map((r) => `<li data-report="${r.id}">${words.label('report_stage', r.stage)}${r.number ? `（${r.number}）` : ''}
        <span class="meta">${r.status === 'draft' ? '草稿' : `已报送 ${esc(when(r.submitted_at))}`} · ${esc(r.author)}</span>
        ${r.status === 'draft' && canWrite ? `<button type="button" data-edit="${r.id}">编辑</button>` : ''}</li>`).join('')}</ol>
      ${response.html}
      ${monitoring.html}
      ${support.html}
      ${after}
      <details><summary>时间线（${timeline.timeline.length}）</summary><ol class="duty-timeline">${timeline.timeline
        .map((t) => `<li><span class="meta">${esc(when(t.at))}</span> ${esc(t.text)}${t.actor ? `<span class="meta">${esc(t.actor)}</span>` : ''}`
          + `${t.kind === 'photo' ? `<a class="photos" href="${esc(t.href)}" target="_blank" rel="noopener"><img src="${esc(t.href)}" alt="${esc(t.caption ?? t.file_name)}" loading="lazy"></a>` : ''}</li>`).join('')}</ol></details>`;
    for (const e of detail.querySelectorAll('form [name]')) {
      const value = kept.find(([key]) => key === fieldKey(e))?.[1];
      if (value !== undefined) e.value = value;
    }
    response.wire(detail, () => select(id, false));
    monitoring.wire(detail, () => select(id, false));
    support.wire(detail, () => select(id, false));
    for (const b of detail.querySelectorAll('[data-stage]')) b.addEventListener('click', () => openForm(id, b.dataset.stage));
    for (const b of detail.querySelectorAll('[data-edit]')) {
      b.addEventListener('click', (e) => { e.stopPropagation(); openForm(id, null, reports.reports.find((r) => String(r.id) === b.dataset.edit)); });
    }
  }

  function field([name, label, type, required], value) {
    const mark = required ? ' *' : '';
    if (type === 'casualties') {
      return `<fieldset><legend>${label}${mark}</legend>${words.codes('casualty').map((k) =>
        `<label class="inline">${words.label('casualty', k)} <input type="number" min="0" name="casualties.${k}" value="${value?.[k] ?? 0}"></label>`).join('')}</fieldset>`;
    }
    if (type === 'severity') {
      return `<label>${label} <select name="severity"><option value="">不变</option>${words.codes('severity').map((s) =>
        `<option${value === s ? ' selected' : ''}>${s}</option>`).join('')}</select></label>`;
    }
    if (type === 'pollutants') {
      const text = (value ?? []).map((p) => [p.name, p.amount].filter(Boolean).join(' ')).join('\n');
      return `<label>${label}<textarea name="pollutants" rows="2">${esc(text)}</textarea></label>`;
    }
    if (type === 'line') return `<label>${label}${mark}<input name="${name}" value="${esc(value ?? '')}"></label>`;
    return `<label>${label}${mark}<textarea name="${name}" rows="3">${esc(value ?? '')}</textarea></label>`;
  }

  function openForm(id, stage, draft) {
    stage = stage ?? draft.stage;
    const fields = stageFields(stage);
    const form = dialog.querySelector('form');
    form.innerHTML = `<h3>${words.label('report_stage', stage)}</h3>${fields.map((f) => field(f, draft?.[f[0]])).join('')}
      <p class="hint">${stage === 'initial' ? '受威胁的环境敏感点由地图自动填写（下游取水口、周边学校与居住区）。' : ''}
      ${stage === 'follow_up' ? '投入的力量和物资由本事件的调度记录自动填写。' : ''}</p>
      <div id="report-error" class="error"></div>
      <div class="row"><button value="draft">保存草稿</button><button value="submit" class="primary">报送</button><button value="cancel" formnovalidate>取消</button></div>`;
    form.onsubmit = async (e) => {
      e.preventDefault();
      const action = e.submitter?.value;
      if (action === 'cancel') { dialog.close(); return; }
      const body = { submit: action === 'submit' };
      const data = new FormData(form);
      for (const [name, , type] of fields) {
        if (type === 'casualties') {
          body.casualties = Object.fromEntries(words.codes('casualty').map((k) => [k, Number(data.get(`casualties.${k}`) || 0)]));
        } else if (type === 'pollutants') {
          body.pollutants = String(data.get('pollutants') ?? '').split('\n').map((l) => l.trim()).filter(Boolean)
            .map((l) => { const [n, ...rest] = l.split(/\s+/); return rest.length ? { name: n, amount: rest.join(' ') } : { name: n }; });
        } else {
          const v = String(data.get(name) ?? '').trim();
          if (v) body[name] = v; else if (draft) body[name] = null;
        }
      }
      try {
        if (draft) await api(`/api/incidents/${id}/reports/${draft.id}`, { method: 'PATCH', body });
        else await api(`/api/incidents/${id}/reports`, { method: 'POST', body: { stage, ...body } });
        dialog.close();
        await load();
      } catch (err) {
        form.querySelector('#report-error').textContent = err.message;
      }
    };
    dialog.showModal();
  }

  // The clock moves the deadlines: look again every minute, and whenever the feed says so.
  let pending = null;
  const soon = () => { clearTimeout(pending); pending = setTimeout(() => load().catch(() => {}), 200); };
  setInterval(soon, 60000);
  load().catch(() => {});
  return {
    onEvent(kind, data) {
      if (['incident', 'report', 'report_due', 'dispatch', 'response', 'order', 'order_due', 'reload'].includes(kind) || (kind === 'change' && data?.layer === 'incident')) soon();
    },
  };
}
