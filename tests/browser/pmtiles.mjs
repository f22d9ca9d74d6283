// Reads a PMTiles archive with the Protomaps reader (npm `pmtiles`, independent of onemap's
// writer): its header, its metadata, and the SHA-256 of every tile in its zooms and bounds.
// Prints one JSON line. Usage: node pmtiles.mjs <archive.pmtiles>
import { open } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { PMTiles } from 'pmtiles';

const [file] = process.argv.slice(2);
const handle = await open(file, 'r');
// A pmtiles Source over a local file.
const source = {
  getKey: () => file,
  getBytes: async (offset, length) => {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, offset);
    const data = buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + bytesRead);
    return { data };
  },
};
const archive = new PMTiles(source);
const header = await archive.getHeader();
const metadata = await archive.getMetadata();
const tiles = {};
const lon2x = (lon, n) => Math.min(n - 1, Math.max(0, Math.floor((lon + 180) / 360 * n)));
const lat2y = (lat, n) => {
  const r = lat * Math.PI / 180;
  return Math.min(n - 1, Math.max(0, Math.floor((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2 * n)));
};
for (let z = header.minZoom; z <= header.maxZoom; z++) {
  const n = 2 ** z;
  for (let x = lon2x(header.minLon, n); x <= lon2x(header.maxLon, n); x++) {
    for (let y = lat2y(header.maxLat, n); y <= lat2y(header.minLat, n); y++) {
      const tile = await archive.getZxy(z, x, y);
      if (tile) tiles[`${z}/${x}/${y}`] = createHash('sha256').update(Buffer.from(tile.data)).digest('hex');
    }
  }
}
await handle.close();
console.log(JSON.stringify({ header: { specVersion: header.specVersion, tileType: header.tileType, tileCompression: header.tileCompression,
  minZoom: header.minZoom, maxZoom: header.maxZoom, minLon: header.minLon, minLat: header.minLat, maxLon: header.maxLon, maxLat: header.maxLat,
  numAddressedTiles: header.numAddressedTiles }, metadata, tiles }));
