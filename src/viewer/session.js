// Who is signed in: the sign-in form (with a one-time code where the account has one), signing
// out, and only the controls the role may use.
import { api } from './api.js';
import * as words from './words.js';

/** The signed-in user (`/api/me`), with the page shown as their role allows. */
export async function account() {
  const me = await api('/api/me');
  document.getElementById('sign-in').hidden = Boolean(me.user);
  document.getElementById('signed-in').hidden = !me.user;
  if (me.user) {
    const where = me.district_name ? ` · ${me.district_name}` : '';
    document.getElementById('who').textContent = `${me.user}（${words.label('role', me.role)}${where}）`;
  }
  for (const el of document.querySelectorAll('[data-needs]')) el.hidden = !me.may.includes(el.dataset.needs);
  document.body.classList.toggle('signed-out', !me.may.includes('read'));
  return me;
}

/** Signing in and out reload the page as the new user. */
export function startSession() {
  const value = (id) => document.getElementById(id).value;
  document.getElementById('sign-in').addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api('/api/session', { method: 'POST', body: { username: value('sign-in-name'), password: value('sign-in-password'), code: value('sign-in-code') || undefined } });
      location.reload();
    } catch (err) {
      const required = err.problem?.code_required;
      document.getElementById('sign-in-error').textContent = required ? '请填写六位动态口令' : (err.problem?.detail ?? '登录失败');
      if (required) document.getElementById('sign-in-code').focus();
    }
  });
  document.getElementById('sign-out').addEventListener('click', async () => {
    await api('/api/session', { method: 'DELETE' }).catch(() => null);
    navigator.serviceWorker?.controller?.postMessage('forget');
    location.reload();
  });
}
