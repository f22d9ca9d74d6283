// The field phone's outbox: a report or an inspection is a job of steps (create the incident,
// draft and submit the report, upload each photo), kept in IndexedDB until every step has been
// answered. Each step carries its own Idempotency-Key, so a step resent after a lost answer is
// not done twice; a later step names an earlier one's answer as `{n.id}`. Nothing is dropped:
// a job the server refuses stays, with the reason, until the officer removes it.

const DB = 'onemap-field';
const STORE = 'outbox';
let running = null;
let sent = 0;

/** How many jobs this page has sent to the end. */
export const sentJobs = () => sent;
const listeners = new Set();

function database() {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(DB, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE, { keyPath: 'key' });
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

async function store(mode, work) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const answer = work(tx.objectStore(STORE));
    tx.oncomplete = () => { db.close(); resolve(answer?.result); };
    tx.onerror = () => { db.close(); reject(tx.error); };
  });
}

/** Every job, oldest first. */
export async function jobs() {
  const all = await store('readonly', (s) => s.getAll());
  return all.sort((a, b) => a.created - b.created);
}

const save = (job) => store('readwrite', (s) => s.put(job));

/** Removes a job (one the server refused, once the officer has read why). */
export async function discard(key) {
  await store('readwrite', (s) => s.delete(key));
  changed();
}

/** Calls `listener(jobs)` whenever the outbox changes. */
export function watch(listener) {
  listeners.add(listener);
  jobs().then(listener);
}

async function changed() {
  const all = await jobs();
  for (const l of listeners) l(all);
}

/** Queues a job of `steps` titled `title` and starts sending. */
export async function enqueue(title, steps) {
  const job = { key: crypto.randomUUID(), created: Date.now(), title, steps, results: [], state: 'waiting', error: null };
  await save(job);
  changed();
  flush();
  return job.key;
}

/** `{n.field}` in a string: the answer of step n. */
const fill = (text, results) => String(text).replace(/\{(\d+)\.(\w+)\}/g, (_, n, field) => results[Number(n)]?.[field] ?? '');

function request(step, results) {
  const init = { method: step.method, headers: {}, credentials: 'same-origin' };
  if (step.json !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = fill(JSON.stringify(step.json), results);
  } else if (step.form) {
    const form = new FormData();
    for (const [k, v] of Object.entries(step.form)) form.append(k, fill(v, results));
    if (step.file) form.append('file', step.file, step.fileName ?? 'photo.jpg');
    init.body = form;
  }
  return [fill(step.path, results), init];
}

/** Sends what waits, in order; stops at the first step the network cannot carry yet. */
export function flush() {
  if (running) return running;
  running = (async () => {
    try {
      for (const job of await jobs()) {
        if (job.state === 'refused') continue;
        while (job.results.length < job.steps.length) {
          const i = job.results.length;
          const [path, init] = request(job.steps[i], job.results);
          init.headers['idempotency-key'] = `${job.key}:${i}`;
          let response;
          try {
            response = await fetch(path, init);
          } catch {
            return; // offline: try again when the network is back
          }
          const text = await response.text();
          let body = null;
          try { body = text ? JSON.parse(text) : null; } catch { body = null; }
          if (response.ok) {
            job.results.push(body ?? {});
            job.state = 'sending';
          } else if (response.status === 401) {
            // Signed out while away (a session ends): it goes once the officer signs in again.
            if (job.state !== 'sign-in') { job.state = 'sign-in'; await save(job); changed(); }
            return;
          } else if (response.status >= 500 || (response.status === 409 && body?.title === 'request in progress')) {
            return; // the server: later
          } else {
            job.state = 'refused';
            job.error = `${body?.detail ?? `HTTP ${response.status}`}${body?.field ? `（${body.field}）` : ''}`;
          }
          await save(job);
          changed();
          if (job.state === 'refused') break;
        }
        if (job.state !== 'refused' && job.results.length === job.steps.length) {
          await store('readwrite', (s) => s.delete(job.key));
          sent += 1;
          changed();
        }
      }
    } finally {
      running = null;
    }
  })();
  return running;
}

addEventListener('online', () => flush());
setInterval(() => { if (navigator.onLine) flush(); }, 10000);
