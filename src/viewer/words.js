// The domain's words as onemap defines them once (GET /api/words, from the layer catalogue):
// labels of codes, their colours, field names, and the one way every screen says a span of time.
import { api } from './api.js';

const vocabularies = {};
let fieldWords = {};
let reports = {};
let loading = null;

/** Loads the words once; a screen awaits this before it draws a label. */
export function loadWords() {
  loading ??= api('/api/words').then((body) => {
    for (const [name, v] of Object.entries(body.vocabularies)) {
      vocabularies[name] = { title: v.title, words: v.words, byCode: Object.fromEntries(v.words.map((w) => [w.code, w])) };
    }
    fieldWords = body.fields;
    reports = body.reports;
    return vocabularies;
  }).catch((err) => {
    // Without the words the screens show the codes themselves rather than nothing.
    console.warn('no words', err);
    return vocabularies;
  });
  return loading;
}

/** The label of `code` in vocabulary `name` (the code itself when it has none). */
export const label = (name, code) => vocabularies[name]?.byCode[code]?.label ?? code;

/** The colour of `code` in vocabulary `name` (`fallback` when it has none). */
export const colour = (name, code, fallback) => vocabularies[name]?.byCode[code]?.colour ?? fallback;

/** The codes of vocabulary `name`, in order. */
export const codes = (name) => (vocabularies[name]?.words ?? []).map((w) => w.code);

/** The fields of a report of `stage`, in order: `{name, title, kind, required}`. */
export const reportParts = (stage) => reports[stage] ?? [];

/** A field's heading. */
export const fieldName = (field) => label('field', field);

/** A value of `layer`.`field` in words (the code itself when the field has no vocabulary). */
export function shown(value, layer, field) {
  if (value === null || value === undefined) return '';
  const name = fieldWords[layer]?.[field] ?? (typeof value === 'boolean' ? 'yes_no' : null);
  return name ? label(name, String(value)) : String(value);
}

/** A span of minutes as every screen says it: 分钟 under two hours, 小时 under two days, else 天. */
export function span(minutes) {
  const m = Math.abs(Math.round(minutes));
  if (m < 120) return `${m} 分钟`;
  if (m < 48 * 60) return `${Math.round(m / 60)} 小时`;
  return `${Math.round(m / 1440)} 天`;
}
