// Drawing on the map, shared by the desk, the phone and the wall: the fonts, GeoJSON overlays, circles.

/** The CJK fonts the map draws its labels with (the browser's own: no glyphs are served). */
export const CJK_FONTS = '"Noto Sans CJK SC", "WenQuanYi Zen Hei", "Microsoft YaHei", sans-serif';

/** For `map`: shows `data` in the GeoJSON overlay `source`, adding the source and its `layers` on first use. */
export const overlays = (map) => (source, data, layers) => {
  if (map.getSource(source)) return map.getSource(source).setData(data);
  map.addSource(source, { type: 'geojson', data });
  for (const layer of layers) map.addLayer({ ...layer, source });
  return undefined;
};

/** A circle of `radius` metres around [lon, lat] (64 sides), a Polygon Feature with `properties`. */
export function circle([lon, lat], radius, properties = {}) {
  const ring = [];
  for (let i = 0; i <= 64; i++) {
    const a = (i / 64) * 2 * Math.PI;
    ring.push([lon + (radius * Math.cos(a)) / (111320 * Math.cos((lat * Math.PI) / 180)), lat + (radius * Math.sin(a)) / 110574]);
  }
  return { type: 'Feature', geometry: { type: 'Polygon', coordinates: [ring] }, properties };
}

/** The middle of a GeoJSON geometry's bounding box, [lon, lat]. */
export function centerOf(geometry) {
  const coords = [];
  const walk = (c) => (typeof c[0] === 'number' ? coords.push(c) : c.forEach(walk));
  walk(geometry.coordinates);
  const xs = coords.map((c) => c[0]);
  const ys = coords.map((c) => c[1]);
  return [(Math.min(...xs) + Math.max(...xs)) / 2, (Math.min(...ys) + Math.max(...ys)) / 2];
}

/** Draws an incident and routes (features with role incident / route and a rank) in `overlay`. */
export function showRoutes(overlay, data) {
  overlay('dispatch', data, [
    { id: 'dispatch-route', type: 'line', filter: ['==', ['get', 'role'], 'route'],
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': ['case', ['==', ['get', 'rank'], 1], '#d7301f', '#fc8d59'], 'line-width': ['case', ['==', ['get', 'rank'], 1], 5, 3], 'line-opacity': 0.85 } },
    { id: 'dispatch-incident', type: 'circle', filter: ['==', ['get', 'role'], 'incident'],
      paint: { 'circle-color': '#b30000', 'circle-radius': 8, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } },
  ]);
}
