// The desk's monitoring alarms (监测预警): open ones first, then those cleared lately; a
// dispatcher acknowledges one, or makes it a call to screen; anyone traces a water station's
// exceedance up the river (溯源). Follows the feed.
import { api, esc } from './api.js';
import * as words from './words.js';

const OPEN_SHOWN = 3;

/** What an alarm says in one line (after its station). */
export function alarmLine(a) {
  const v = (x) => (x === null || x === undefined ? '' : `${Math.round(x * 1000) / 1000}`);
  if (a.kind === 'silent') return `${v(a.threshold)} 小时无数据`;
  if (a.kind === 'instrument') return `${a.item ?? ''} ${(a.detail?.tests ?? []).map((t) => words.label('qc_test', t)).join('、')}`;
  return `${a.item ?? ''} ${v(a.value)}${a.unit ?? ''}（限值 ${v(a.threshold)}）`;
}

export function startAlarms({ map, may, popup }) {
  const list = document.getElementById('alarm-list');
  const said = document.getElementById('alarm-sources');
  if (!list) return { onEvent() {} };
  const handles = may.includes('handle_incidents');
  const time = (t) => (t ? new Date(t).toLocaleString('zh-CN', { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' }) : '');

  function row(a) {
    const chip = `<span class="chip" style="background:${esc(words.colour('alarm_kind', a.kind, '#999'))}">${esc(words.label('alarm_kind', a.kind))}</span>`;
    const buttons = [
      handles && a.status === 'raised' ? `<button type="button" data-act="acknowledge">确认</button>` : '',
      handles && a.status !== 'cleared' && !a.intake_id ? `<button type="button" data-act="intake">转接警</button>` : '',
      a.kind === 'exceedance' ? `<button type="button" data-act="sources">溯源</button>` : '',
    ].join('');
    const state = a.status === 'acknowledged' ? `${words.label('alarm_status', a.status)}（${a.acknowledged_by}）` : words.label('alarm_status', a.status);
    const title = `${time(a.observed_at ?? a.raised_at)} · ${state}${a.intake_id ? ` · 接警 #${a.intake_id}` : ''}`;
    return `<li data-alarm="${a.id}" title="${esc(title)}">${chip}<span class="text"><a href="#" data-act="show">${esc(a.station)}</a> `
      + `${esc(alarmLine(a))} <span class="meta">${esc(title)}</span></span>${buttons ? `<span class="actions">${buttons}</span>` : ''}</li>`;
  }

  let shown = [];
  async function load() {
    const open = (await api('/api/alarms')).alarms;
    shown = open.slice(0, OPEN_SHOWN);
    list.innerHTML = shown.map(row).join('')
      + (open.length > OPEN_SHOWN ? `<li class="hint">另有 ${open.length - OPEN_SHOWN} 条未解除</li>` : '')
      || '<li class="hint">无监测预警</li>';
    list.dataset.open = String(open.length);
  }

  /** The source of `a` traced up the river, in a popup at the station. */
  async function sources(a) {
    let html;
    try {
      const t = await api(`/api/alarms/${a.id}/sources`);
      const items = t.sources.slice(0, 6).map((s) => `<li>${s.matches ? '★ ' : ''}${esc(s.name)}<span class="meta">${esc(s.grade ?? '')} · `
        + `上游 ${Math.round(s.hours * 10) / 10} 小时 · ${esc(s.substances.map((x) => x.name).join('、'))}</span></li>`).join('');
      html = `<div class="popup-title">溯源：${esc(a.station)} ${esc(t.item)}</div><p id="alarm-finding">${esc(t.finding)}</p><ol>${items}</ol>`;
    } catch (err) {
      html = `<p id="alarm-finding">${esc(err.message)}</p>`;
    }
    if (a.point) {
      map.flyTo({ center: a.point, zoom: Math.max(map.getZoom(), 9) });
      popup({ lng: a.point[0], lat: a.point[1] }, html, '420px');
    }
  }

  list.addEventListener('click', async (e) => {
    const el = e.target.closest('[data-act]');
    const li = e.target.closest('[data-alarm]');
    if (!el || !li) return;
    e.preventDefault();
    const a = shown.find((x) => x.id === Number(li.dataset.alarm));
    if (!a) return;
    const act = el.dataset.act;
    if (act === 'show' && a.point) map.flyTo({ center: a.point, zoom: Math.max(map.getZoom(), 11) });
    if (act === 'sources') await sources(a);
    if (act === 'acknowledge' || act === 'intake') {
      try {
        await api(`/api/alarms/${a.id}/${act}`, { method: 'POST' });
      } catch (err) {
        said.hidden = false;
        said.textContent = err.message;
      }
      await load();
    }
  });

  let pending = null;
  const soon = () => { clearTimeout(pending); pending = setTimeout(() => load().catch(() => {}), 300); };
  load().catch(() => {});
  return { onEvent(kind) { if (['alarm', 'reload'].includes(kind)) soon(); } };
}
