// The one way the viewer's modules talk to onemap: JSON in, JSON out, problems as errors.

/** HTML-escaped text. */
export const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

/** Calls `path`; resolves to the JSON answer, rejects with the problem's detail. */
export async function api(path, { method = 'GET', body } = {}) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!response.ok) {
    const error = new Error(data?.detail ?? `HTTP ${response.status}`);
    error.status = response.status;
    error.problem = data;
    throw error;
  }
  return data;
}

/** The map waits for a click to place `mode` (false: it stops waiting). */
export function placing(map, onemap, mode) {
  onemap.placing = mode;
  map.getCanvas().style.cursor = mode ? 'crosshair' : '';
}

/** Local date and time, as the duty desk reads it. */
export const when = (t) => (t ? new Date(t).toLocaleString('zh-CN', { hour12: false }) : '—');

/**
 * Calls `path` for a side panel: empties its list (`listId`), and on a refusal shows the
 * problem's detail (with the field at fault) in its summary and resolves to null.
 */
export async function panelCall(path, options, summaryId, listId) {
  if (listId) document.getElementById(listId).innerHTML = '';
  try {
    return await api(path, options);
  } catch (err) {
    document.getElementById(summaryId).textContent = `${err.problem?.detail ?? err.message ?? '查询失败'}${err.problem?.field ? `（${err.problem.field}）` : ''}`;
    return null;
  }
}
