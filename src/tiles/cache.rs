//! Encoded tiles kept in memory per layer, valid while that layer's generation is unchanged: a
//! change to a layer makes its cached tiles stale and leaves the other layers' tiles alone.
//! Bounded in bytes; a tile is encoded once however many ask for it at the same moment.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;

use moka::future::Cache;

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

/// A layer's tile at one generation of the layer: a change makes a new key, and the old tile
/// ages out.
type Key = (&'static str, TileId, u64);

/// Bytes a cached tile counts for beyond its own (the key, the tag, the entry).
const OVERHEAD: usize = 96;

/// A tile cache bounded in bytes (moka: the tiles used least and least often leave first), in
/// which a tile asked for by many at once is encoded once; 0 bytes turns it off.
pub struct TileCache {
    tiles: Option<Cache<Key, Arc<CachedTile>>>,
    lookups: AtomicU64,
    misses: AtomicU64,
}

impl TileCache {
    /// A cache of up to `max_bytes` of tiles.
    pub fn new(max_bytes: u64) -> Self {
        let tiles = (max_bytes > 0).then(|| {
            Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|_: &Key, tile: &Arc<CachedTile>| {
                    u32::try_from(tile.bytes.len() + tile.etag.len() + OVERHEAD).unwrap_or(u32::MAX)
                })
                .build()
        });
        Self { tiles, lookups: AtomicU64::new(0), misses: AtomicU64::new(0) }
    }

    /// The tile of `layer` at `id` for this `generation` of the layer: from the cache, or made
    /// by `make` — once, however many ask for it at the same moment.
    pub async fn get_or_make<E, F>(
        &self,
        layer: &'static str,
        id: TileId,
        generation: u64,
        make: F,
    ) -> Result<Arc<CachedTile>, Arc<E>>
    where
        E: Send + Sync + 'static,
        F: Future<Output = Result<Arc<CachedTile>, E>>,
    {
        self.lookups.fetch_add(1, Relaxed);
        let made = async {
            self.misses.fetch_add(1, Relaxed);
            make.await
        };
        let Some(tiles) = &self.tiles else {
            return made.await.map_err(Arc::new);
        };
        let key = (layer, id, generation);
        // A hit by the plain look-up: try_get_with's waiting machinery is only for a miss.
        if let Some(hit) = tiles.get(&key).await {
            return Ok(hit);
        }
        tiles.try_get_with(key, made).await
    }

    /// Look-ups answered from the cache.
    pub fn hits(&self) -> u64 {
        self.lookups.load(Relaxed).saturating_sub(self.misses.load(Relaxed))
    }

    /// Look-ups that had to encode.
    pub fn misses(&self) -> u64 {
        self.misses.load(Relaxed)
    }

    /// Tiles held now (moka counts them as it goes: close, not exact).
    pub fn len(&self) -> u64 {
        self.tiles.as_ref().map_or(0, |t| t.entry_count())
    }

    /// Whether no tile is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes the held tiles count for (as [`Self::len`], close).
    pub fn bytes(&self) -> u64 {
        self.tiles.as_ref().map_or(0, |t| t.weighted_size())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn tile(n: usize) -> Arc<CachedTile> {
        Arc::new(CachedTile::new(vec![7; n]))
    }

    #[tokio::test]
    async fn a_tile_asked_for_at_once_is_made_once() {
        let cache = Arc::new(TileCache::new(1 << 20));
        let made = Arc::new(AtomicUsize::new(0));
        let id = TileId::new(8, 207, 107).unwrap();
        let asks: Vec<_> = (0..8)
            .map(|_| {
                let (cache, made) = (cache.clone(), made.clone());
                tokio::spawn(async move {
                    cache
                        .get_or_make("depot", id, 1, async {
                            made.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                            Ok::<_, ()>(tile(100))
                        })
                        .await
                        .unwrap()
                })
            })
            .collect();
        for ask in asks {
            assert_eq!(ask.await.unwrap().bytes.len(), 100);
        }
        assert_eq!(made.load(Ordering::SeqCst), 1);
        assert_eq!((cache.hits(), cache.misses()), (7, 1));
        // A new generation of the layer is made anew.
        cache.get_or_make("depot", id, 2, async { Ok::<_, ()>(tile(100)) }).await.unwrap();
        assert_eq!(cache.misses(), 2);
    }

    #[tokio::test]
    async fn the_cache_holds_no_more_bytes_than_it_may() {
        let cache = TileCache::new(20_000);
        for x in 0..100 {
            let id = TileId::new(10, x, 0).unwrap();
            cache.get_or_make("route", id, 1, async { Ok::<_, ()>(tile(1_000)) }).await.unwrap();
        }
        cache.tiles.as_ref().unwrap().run_pending_tasks().await;
        assert!(cache.bytes() <= 20_000, "{} bytes", cache.bytes());
        assert!(!cache.is_empty());
        // Off: every ask makes the tile.
        let off = TileCache::new(0);
        let id = TileId::new(0, 0, 0).unwrap();
        for _ in 0..3 {
            off.get_or_make("route", id, 1, async { Ok::<_, ()>(tile(10)) }).await.unwrap();
        }
        assert_eq!((off.hits(), off.misses(), off.len()), (0, 3, 0));
    }
}
