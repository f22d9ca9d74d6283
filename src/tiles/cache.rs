//! Encoded tiles kept in memory, valid while the generations of their layers are unchanged: any
//! change to a layer makes every cached tile of that layer stale at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::TileId;

/// An encoded tile and its entity tag.
#[derive(Debug)]
pub struct CachedTile {
    /// MVT bytes (empty for an empty tile).
    pub bytes: Vec<u8>,
    /// Quoted strong ETag.
    pub etag: String,
}

impl CachedTile {
    /// Wraps tile bytes with their ETag (a hash of the bytes).
    pub fn new(bytes: Vec<u8>) -> Self {
        let mut hash: u64 = 0xcbf29ce484222325;
        for b in &bytes {
            hash = (hash ^ u64::from(*b)).wrapping_mul(0x100000001b3);
        }
        Self { etag: format!("\"{hash:016x}-{}\"", bytes.len()), bytes }
    }
}

type Key = (String, TileId);
/// The layer generations a tile was made from, and the tile.
type Entry = (Vec<u64>, Arc<CachedTile>);

/// A bounded tile cache; `capacity` 0 turns it off.
pub struct TileCache {
    capacity: usize,
    entries: Mutex<HashMap<Key, Entry>>,
}

impl TileCache {
    /// A cache of up to `capacity` tiles.
    pub fn new(capacity: usize) -> Self {
        Self { capacity, entries: Mutex::new(HashMap::new()) }
    }

    /// The tile of `source` at `id` if cached for exactly these layer generations.
    pub fn get(&self, source: &str, id: TileId, generations: &[u64]) -> Option<Arc<CachedTile>> {
        if self.capacity == 0 {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(&(source.to_string(), id)) {
            Some((gens, tile)) if gens == generations => Some(tile.clone()),
            _ => None,
        }
    }

    /// Keeps a tile; when full, the cache starts over (stale entries are the common case).
    pub fn put(&self, source: &str, id: TileId, generations: Vec<u64>, tile: Arc<CachedTile>) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity {
            entries.clear();
        }
        entries.insert((source.to_string(), id), (generations, tile));
    }
}
