// How a browser test looks inside a page that publishes nothing: on every page load (the pages
// reload themselves on signing in and out) it imports the page's shared state — the `state.js`
// module every page's script fills and hands to its panels, loaded once a page, so the same
// object — and keeps it as `window.probe`, a name only the tests use. `target` is a page or a
// browser context; call it before the first navigation.
export const probe = (target) => target.addInitScript(() => {
  import('/viewer/state.js').then((m) => { window.probe = m.state; }, () => {});
});
