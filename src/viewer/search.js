// Search by name across the registry's layers; a hit flies the map to it and opens its popup.
import { api, esc } from './api.js';
import { centerOf } from './draw.js';
import * as words from './words.js';

const SEARCH_LAYERS = ['risk_source', 'receptor', 'depot', 'team', 'district'];

export function startSearch({ map, showFeature }) {
  document.getElementById('search').addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = document.getElementById('search-text').value.trim();
    const list = document.getElementById('search-results');
    list.innerHTML = '';
    if (!text) return;
    const pages = await Promise.all(SEARCH_LAYERS.map((l) => api(`/api/layers/${l}?q=${encodeURIComponent(text)}&limit=10`).catch(() => ({ features: [] }))));
    pages.forEach((page, i) => {
      for (const f of page.features ?? []) {
        const li = document.createElement('li');
        li.innerHTML = `${esc(f.properties.name)}<span class="meta">${esc(words.label('map_layer', SEARCH_LAYERS[i]))}</span>`;
        li.addEventListener('click', () => {
          const c = centerOf(f.geometry);
          map.flyTo({ center: c, zoom: Math.max(map.getZoom(), 11) });
          showFeature(SEARCH_LAYERS[i], f.id, { lng: c[0], lat: c[1] });
        });
        list.appendChild(li);
      }
    });
    if (!list.children.length) list.innerHTML = '<li>未找到</li>';
  });
}
