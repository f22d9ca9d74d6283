// The desk's calculators: the class of surface water by GB 3838-2002 and the AQI by HJ 633-2012,
// from values typed one a line ("NH3-N 1.2"); the server computes, the page shows its answer.
import { api, esc } from './api.js';
import * as words from './words.js';

/** "code value" lines as an object; a line that is not one is said. */
function values(text) {
  const out = {};
  for (const line of text.split(/\n|[,，;；]/).map((l) => l.trim()).filter(Boolean)) {
    const m = line.match(/^(\S+)\s*[=:：]?\s*(-?[0-9.]+(?:e-?[0-9]+)?)$/i);
    if (!m) throw new Error(`看不懂：${line}`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}

export function startStandards() {
  const water = document.getElementById('water-class');
  if (!water) return;
  const waterOut = document.getElementById('water-class-result');
  water.elements.waterbody.innerHTML = words.codes('waterbody').map((c) => `<option value="${esc(c)}">${esc(words.label('waterbody', c))}</option>`).join('');
  water.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const f = water.elements;
      const body = { waterbody: f.waterbody.value, values: values(f.values.value), ...(f.target.value ? { target: f.target.value } : {}) };
      const r = await api('/api/standards/water-class', { method: 'POST', body });
      waterOut.innerHTML = `<p class="standard-result">水质类别 <b>${esc(r.class ?? '—')}</b>${r.deciding.length ? `（${esc(r.deciding.join('、'))}）` : ''}`
        + `${r.meets_target == null ? '' : r.meets_target ? ' · 达到目标' : ` · 未达 ${esc(r.target)} 类目标`}</p>`
        + `<table class="figures">${r.items.map((i) => `<tr><th>${esc(i.name)}</th><td>${esc(i.value)} ${esc(i.unit)}</td><td>${esc(i.class ?? '不评价')}</td>`
          + `<td>${i.exceeds_by != null ? `超标 ${esc(i.exceeds_by.toFixed(2))} 倍` : ''}</td></tr>`).join('')}</table>`;
    } catch (err) {
      waterOut.textContent = err.message;
    }
  });
  const air = document.getElementById('aqi');
  const airOut = document.getElementById('aqi-result');
  air.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const r = await api('/api/standards/aqi', { method: 'POST', body: { values: values(air.elements.values.value) } });
      airOut.innerHTML = `<p class="standard-result">AQI <b>${esc(r.aqi)}</b> <span class="standing" style="background:${esc(r.colour)};color:#000">${esc(r.level)} ${esc(r.category)}</span>`
        + `${r.primary.length ? ` · 首要污染物 ${esc(r.primary.join('、'))}` : ''}</p>`
        + `<table class="figures">${r.items.map((i) => `<tr><th>${esc(i.key)}</th><td>${esc(i.value)}</td><td>IAQI ${esc(i.iaqi)}${i.by ? `（按 ${esc(i.by)}）` : ''}${i.beyond_scale ? '（超出量程）' : ''}</td></tr>`).join('')}</table>`;
    } catch (err) {
      airOut.textContent = err.message;
    }
  });
}
