// The desk's front (值班与接警): who is on duty now, the last handover, and the calls not yet
// screened — with a form to record a call as it comes in (duty officers). Follows the feed.
import { api, esc } from './api.js';
import * as words from './words.js';

/** Starts the section; returns its feed listener. */
export function startOnDuty({ may }) {
  const people = document.getElementById('on-duty');
  const calls = document.getElementById('open-calls');
  if (!people) return { onEvent() {} };
  const handles = may.includes('handle_incidents');
  const time = (t) => new Date(t).toLocaleTimeString('zh-CN', { hour: '2-digit', minute: '2-digit' });

  async function load() {
    const now = await api('/api/duty/now');
    people.innerHTML = now.shifts.map((s) => `<li data-shift="${s.id}">${esc(words.label('duty_post', s.post))} `
      + `<b>${esc(s.person)}</b>${s.phone ? ` <span class="meta">${esc(s.phone)}</span>` : ''}`
      + `<span class="meta">至 ${esc(time(s.ends_at))}</span></li>`).join('') || '<li class="hint">值班表中此刻无人值班</li>';
    if (now.handover) {
      const items = now.handover.open_items.map((i) => `<li>${esc(i)}</li>`).join('');
      people.insertAdjacentHTML('beforeend', `<li class="hint">交班（${esc(now.handover.author)} ${esc(time(now.handover.at))}）：`
        + `${esc(now.handover.text)}${items ? `<ul>${items}</ul>` : ''}</li>`);
    }
    if (!handles) { calls.innerHTML = `<li class="hint">待研判接警 ${now.open_calls} 起</li>`; return; }
    const open = (await api('/api/intake?open=true')).intakes;
    calls.innerHTML = open.map((c) => `<li data-intake="${c.id}">${esc(time(c.received_at))} `
      + `<span class="meta">${esc(words.label('intake_channel', c.channel))}</span> ${esc(c.what)}`
      + `${c.matched || c.place ? `<span class="meta">${esc(c.matched ?? c.place)}</span>` : ''}</li>`).join('')
      || '<li class="hint">无待研判接警</li>';
  }

  const form = document.getElementById('intake-form');
  if (form && handles) {
    form.hidden = false;
    form.elements.channel.innerHTML = words.codes('intake_channel')
      .map((c) => `<option value="${esc(c)}">${esc(words.label('intake_channel', c))}</option>`).join('');
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const data = new FormData(form);
      const said = document.getElementById('intake-said');
      try {
        const place = String(data.get('place') ?? '').trim();
        const stored = await api('/api/intake', { method: 'POST', body: {
          channel: data.get('channel'), what: String(data.get('what') ?? '').trim(), ...(place ? { place } : {}) } });
        said.textContent = `已登记接警 #${stored.id}${stored.matched ? `（定位：${stored.matched}）` : ''}`;
        form.reset();
        await load();
      } catch (err) {
        said.textContent = err.message;
      }
    });
  }
  let pending = null;
  const soon = () => { clearTimeout(pending); pending = setTimeout(() => load().catch(() => {}), 300); };
  setInterval(soon, 60000);
  load().catch(() => {});
  return { onEvent(kind) { if (['intake', 'duty_log', 'reload'].includes(kind)) soon(); } };
}
