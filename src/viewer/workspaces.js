// The desk's workspaces: one open at a time beside the map, by task — 值守 (incidents, reports,
// warnings), 调度 (nearest, plans, dispatch), 研判 (risk, trace, interception, plume, around),
// 规划 (coverage) — offered by what the user's role may use; search and the layers stay above.

/** The workspace each role opens on first. */
const FIRST = { planner: 'planning', dispatcher: 'duty', admin: 'duty', viewer: 'duty' };

/** Shows the tabs whose workspace holds something `me` may use, and opens one; returns `open(name)`. */
export function startWorkspaces(me) {
  const tabs = [...document.querySelectorAll('#workspaces [data-open]')];
  const panes = new Map([...document.querySelectorAll('[data-workspace]')].map((p) => [p.dataset.workspace, p]));
  const usable = (pane) => [...pane.children].some((c) => !c.dataset.needs || me.may.includes(c.dataset.needs));
  for (const tab of tabs) tab.hidden = !usable(panes.get(tab.dataset.open));
  const offered = (name) => tabs.some((t) => t.dataset.open === name && !t.hidden);
  const open = (name) => {
    for (const tab of tabs) tab.setAttribute('aria-selected', String(tab.dataset.open === name));
    for (const [n, pane] of panes) pane.hidden = n !== name;
    sessionStorage.setItem('onemap-workspace', name);
  };
  for (const tab of tabs) tab.addEventListener('click', () => open(tab.dataset.open));
  open([sessionStorage.getItem('onemap-workspace'), FIRST[me.role], 'duty'].find((n) => n && offered(n)));
  return open;
}
