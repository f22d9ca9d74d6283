// Live updates shared by the desk and the wall: the feed's events (Server-Sent Events), and the
// map's tiles asked for anew when the data changes.
import * as words from './words.js';

let version = 0;

/** Asks `map` for its tiles anew (a change was announced). */
export function refreshTiles(map) {
  version += 1;
  map.getSource('onemap')?.setTiles([`${location.origin}/tiles/onemap/{z}/{x}/{y}.mvt?v=${version}`]);
}

/**
 * Follows the feed (from event `after`, or from now): the tiles are refreshed on a change, then
 * `on(kind, data, id)` hears every event; `connected(true|false)` hears the connection.
 */
export function listen({ map, after, on, connected }) {
  const events = new EventSource(after === undefined ? '/api/events' : `/api/events?after=${after}`);
  events.addEventListener('open', () => connected(true));
  events.addEventListener('error', () => connected(false));
  for (const kind of [...words.codes('event_kind'), 'reload']) {
    events.addEventListener(kind, (e) => {
      if (kind === 'change' || kind === 'reload') refreshTiles(map);
      let data = null;
      try { data = JSON.parse(e.data); } catch { /* an event without a body */ }
      on(kind, data, e.lastEventId);
    });
  }
  return events;
}
