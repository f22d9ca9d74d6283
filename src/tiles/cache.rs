//! Encoded tiles kept in memory per layer, valid while that layer's generation is unchanged: a
//! change to a layer makes its cached tiles stale and leaves the other layers' tiles alone.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::TileId;
use crate::hash::fnv1a;

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
        let hash = fnv1a(&bytes);
        Self { etag: format!("\"{hash:016x}-{}\"", bytes.len()), bytes }
    }

    /// Several single-layer tiles as one: their concatenation, tagged by their tags.
    pub fn compose(parts: &[Arc<CachedTile>]) -> Self {
        let bytes: Vec<u8> = parts.iter().flat_map(|p| p.bytes.iter().copied()).collect();
        let tags: String = parts.iter().map(|p| p.etag.as_str()).collect();
        Self { etag: format!("\"{:016x}-{}\"", fnv1a(tags.as_bytes()), bytes.len()), bytes }
    }
}

type Key = (&'static str, TileId);
/// The layer generation a tile was made from, and the tile.
type Entry = (u64, Arc<CachedTile>);

/// A bounded tile cache; `capacity` 0 turns it off.
pub struct TileCache {
    capacity: usize,
    entries: Mutex<HashMap<Key, Entry>>,
    /// Look-ups answered from the cache.
    pub hits: std::sync::atomic::AtomicU64,
    /// Look-ups that had to encode.
    pub misses: std::sync::atomic::AtomicU64,
}

impl TileCache {
    /// A cache of up to `capacity` tiles.
    pub fn new(capacity: usize) -> Self {
        Self { capacity, entries: Mutex::new(HashMap::new()), hits: Default::default(), misses: Default::default() }
    }

    /// The tile of `layer` at `id` if cached for exactly this layer generation.
    pub fn get(&self, layer: &'static str, id: TileId, generation: u64) -> Option<Arc<CachedTile>> {
        use std::sync::atomic::Ordering::Relaxed;
        let found = if self.capacity == 0 {
            None
        } else {
            let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            match entries.get(&(layer, id)) {
                Some((g, tile)) if *g == generation => Some(tile.clone()),
                _ => None,
            }
        };
        if found.is_some() { &self.hits } else { &self.misses }.fetch_add(1, Relaxed);
        found
    }

    /// Tiles held now.
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether no tile is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keeps a tile; when full, the cache starts over (stale entries are the common case).
    pub fn put(&self, layer: &'static str, id: TileId, generation: u64, tile: Arc<CachedTile>) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity {
            entries.clear();
        }
        entries.insert((layer, id), (generation, tile));
    }
}
