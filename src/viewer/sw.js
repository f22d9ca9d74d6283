// The viewer's service worker: the page and its files are kept for this build (named by the
// hash of their bytes, so a new onemap replaces them), and every map tile, style and answer the
// page read is kept as last seen — a phone that loses the network still opens the last map.
// Writes are never cached: the page's outbox holds them until the network is back.
const VERSION = '/*VERSION*/';
const SHELL = /*SHELL*/[];
const SHELL_CACHE = `onemap-shell-${VERSION}`;
const DATA_CACHE = 'onemap-data';
/** Most answers kept (tiles mostly); the oldest go first. */
const MAX_DATA = 4000;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name.startsWith('onemap-shell-') && name !== SHELL_CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  // Signed out: what this user read is not kept for the next one.
  if (event.data === 'forget') event.waitUntil(caches.delete(DATA_CACHE));
  // What the page read before this worker took it over (its first visit): kept now.
  if (Array.isArray(event.data?.keep)) {
    event.waitUntil((async () => {
      const cache = await caches.open(DATA_CACHE);
      await Promise.all(event.data.keep.map(async (url) => {
        try {
          const response = await fetch(url);
          if (response.ok) await cache.put(url, response);
        } catch { /* offline again: kept next time */ }
      }));
      event.ports[0]?.postMessage('kept');
    })());
  }
});

let trimming = null;
async function trim(cache) {
  const keys = await cache.keys();
  for (const request of keys.slice(0, Math.max(0, keys.length - MAX_DATA))) await cache.delete(request);
}

async function networkFirst(request) {
  const cache = await caches.open(DATA_CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) {
      await cache.put(request, response.clone());
      trimming ??= trim(cache).finally(() => { trimming = null; });
    }
    return response;
  } catch (err) {
    // Offline: the answer last seen; a tile asked for with a newer `?v=` is still that tile.
    const kept = await cache.match(request) ?? (new URL(request.url).pathname.startsWith('/tiles/') ? await cache.match(request, { ignoreSearch: true }) : undefined);
    if (kept) return kept;
    throw err;
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== location.origin || url.pathname === '/api/events') return;
  if (SHELL.includes(url.pathname)) {
    // This build's files (MapLibre names its worker with a `?v=`): from the cache, whatever the network does.
    event.respondWith(caches.match(request, { cacheName: SHELL_CACHE, ignoreSearch: true }).then((hit) => hit ?? networkFirst(request)));
    return;
  }
  event.respondWith(networkFirst(request));
});
