//! Credentials verified recently, kept in memory as their SHA-256 with the user they stand for,
//! so that signed-in users keep the map (served from memory) while the database is down. The
//! database stays the judge while it answers: every request asks it first, and a change of a
//! user's credentials (a revocation, a disabled account, a new password, a sign-out) drops that
//! user's entries at once through `NOTIFY onemap_credentials`, in every instance.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sqlx::PgPool;
use sqlx::postgres::PgListener;

use super::Actor;

/// How long a verification is good for while the database cannot be asked.
pub const FRESH: Duration = Duration::from_secs(5 * 60);
/// After a failed look-up, how long the database is not asked again (requests go to memory).
const RETRY: Duration = Duration::from_secs(3);
/// The channel of the database's notifications.
const CHANNEL: &str = "onemap_credentials";

struct Entry {
    actor: Actor,
    verified: Instant,
}

/// The credentials of this process.
#[derive(Default)]
pub struct Credentials {
    entries: Mutex<HashMap<Vec<u8>, Entry>>,
    failed: Mutex<Option<Instant>>,
}

impl Credentials {
    /// Remembers that the credential with `digest` was just verified as `actor`.
    pub fn remember(&self, digest: Vec<u8>, actor: &Actor) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() > 100_000 {
            entries.retain(|_, e| e.verified.elapsed() < FRESH);
        }
        entries.insert(digest, Entry { actor: actor.clone(), verified: Instant::now() });
        *self.failed.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Forgets the credential with `digest` (the database no longer knows it).
    pub fn forget(&self, digest: &[u8]) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).remove(digest);
    }

    /// Forgets every credential of user `id`.
    pub fn forget_user(&self, id: i64) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).retain(|_, e| e.actor.user_id != Some(id));
    }

    /// Forgets everything (notifications may have been missed).
    pub fn clear(&self) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// The user of the credential with `digest`, if verified within [`FRESH`].
    pub fn recall(&self, digest: &[u8]) -> Option<Actor> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(digest).filter(|e| e.verified.elapsed() < FRESH).map(|e| e.actor.clone())
    }

    /// Records that the database could not be asked.
    pub fn database_failed(&self) {
        *self.failed.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
    }

    /// Whether the database failed a moment ago (it is not asked again before [`RETRY`]).
    pub fn database_down(&self) -> bool {
        self.failed.lock().unwrap_or_else(|e| e.into_inner()).is_some_and(|at| at.elapsed() < RETRY)
    }

    /// Follows the database's notifications until the runtime stops: a user's entries go when
    /// their credentials change; all go when the notifications were interrupted.
    pub async fn follow(self: std::sync::Arc<Self>, pool: PgPool) {
        loop {
            let listener = async {
                let mut l = PgListener::connect_with(&pool).await?;
                l.listen(CHANNEL).await?;
                Ok::<_, sqlx::Error>(l)
            };
            let mut listener = match listener.await {
                Ok(l) => l,
                Err(_) => {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            // Whatever changed while nobody listened is not known: verify everything again.
            self.clear();
            while let Ok(Some(n)) = listener.try_recv().await {
                match n.payload().parse::<i64>() {
                    Ok(id) => self.forget_user(id),
                    Err(_) => self.clear(),
                }
            }
            tracing::warn!("credential notifications interrupted; listening again");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    fn actor(id: i64) -> Actor {
        Actor {
            user_id: Some(id),
            name: format!("u{id}"),
            role: Some(Role::Viewer),
            district: None,
            credit_codes: vec![],
        }
    }

    #[test]
    fn entries_are_recalled_until_forgotten() {
        let c = Credentials::default();
        c.remember(vec![1], &actor(7));
        c.remember(vec![2], &actor(7));
        c.remember(vec![3], &actor(8));
        assert_eq!(c.recall(&[1]).unwrap().user_id, Some(7));
        c.forget_user(7);
        assert!(c.recall(&[1]).is_none() && c.recall(&[2]).is_none());
        assert!(c.recall(&[3]).is_some());
        c.forget(&[3]);
        assert!(c.recall(&[3]).is_none());
        assert!(!c.database_down());
        c.database_failed();
        assert!(c.database_down());
    }
}
