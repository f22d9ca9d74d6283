//! From a credential to the acting user: API tokens (`Authorization: Bearer om_…`) and the
//! browser's session cookie, both looked up by their SHA-256 on every request, so an expiry,
//! a revocation or a disabled account takes effect on the next one.

use std::str::FromStr;

use sqlx::PgPool;

use super::secret::{self, digest};
use super::totp;
use super::{Actor, Role};

/// How long a browser stays signed in, hours.
pub const SESSION_HOURS: i64 = 12;

type UserRow = (i64, String, String, Option<String>, Vec<String>);

fn actor((id, name, role, district, credit_codes): UserRow) -> Option<Actor> {
    Some(Actor { user_id: Some(id), name, role: Some(Role::from_str(&role).ok()?), district, credit_codes })
}

/// The user of a valid token (not expired, not revoked, account enabled); None otherwise.
pub async fn from_token(pool: &PgPool, token: &str) -> Result<Option<Actor>, sqlx::Error> {
    if !secret::is_token_shaped(token) {
        return Ok(None);
    }
    let row: Option<UserRow> = sqlx::query_as(
        "SELECT u.id, u.name, u.role, u.district, u.credit_codes FROM api_token t JOIN app_user u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now()) \
           AND NOT u.disabled",
    )
    .bind(digest(token))
    .fetch_optional(pool)
    .await?;
    Ok(row.and_then(actor))
}

/// How long a session lasts without use, minutes, unless the server says otherwise.
pub const IDLE_MINUTES: u32 = 30;

/// The user of a live session (not expired, used within `idle_minutes`, account enabled,
/// password not expired); None otherwise. Its last use is recorded (at most once a minute).
pub async fn from_session(pool: &PgPool, key: &str, idle_minutes: u32) -> Result<Option<Actor>, sqlx::Error> {
    if !secret::is_key_shaped(key) {
        return Ok(None);
    }
    let row: Option<UserRow> = sqlx::query_as(
        "WITH s AS (SELECT id, user_id, last_seen_at FROM user_session WHERE token_hash = $1 AND expires_at > now() \
                      AND last_seen_at > now() - make_interval(mins => $2)), \
              seen AS (UPDATE user_session x SET last_seen_at = now() FROM s \
                       WHERE x.id = s.id AND s.last_seen_at < now() - interval '1 minute') \
         SELECT u.id, u.name, u.role, u.district, u.credit_codes FROM s JOIN app_user u ON u.id = s.user_id \
         WHERE NOT u.disabled AND (u.password_expires_at IS NULL OR u.password_expires_at > now())",
    )
    .bind(digest(key))
    .bind(idle_minutes as i32)
    .fetch_optional(pool)
    .await?;
    Ok(row.and_then(actor))
}

/// Why a sign-in failed, without saying whether the name exists.
#[derive(Debug, PartialEq)]
pub enum Refusal {
    /// Unknown name, wrong password or disabled account: the same answer for all three.
    BadCredentials,
    /// The password was right but has expired.
    PasswordExpired,
    /// The password was right; the user's one-time code is needed too.
    CodeRequired,
    /// An administrator who has not enrolled a second factor.
    SecondFactorMissing,
}

/// Checks a name, password and (for users who enrolled, and administrators, who must) the
/// one-time code; on success opens a session and returns the user and the session key (for
/// the cookie; only its hash is stored).
pub async fn sign_in(
    pool: &PgPool,
    name: &str,
    password: &str,
    code: Option<&str>,
) -> anyhow::Result<Result<(Actor, String), Refusal>> {
    type Row = (i64, String, String, Option<String>, Vec<String>, String, bool, bool);
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, name, role, district, credit_codes, password_hash, disabled, \
           coalesce(password_expires_at <= now(), false) FROM app_user WHERE name = $1",
    )
    .bind(name)
    .fetch_optional(pool)
    .await?;
    let Some((id, name, role, district, credit_codes, hash, disabled, expired)) = row else {
        // As long as a real check, so timing does not tell that the name is unknown.
        let password = password.to_string();
        verify(move || secret::verify_nothing(&password)).await?;
        return Ok(Err(Refusal::BadCredentials));
    };
    let given = password.to_string();
    let matches = verify(move || secret::verify_password(&given, &hash)).await?;
    if !matches || disabled {
        return Ok(Err(Refusal::BadCredentials));
    }
    if expired {
        return Ok(Err(Refusal::PasswordExpired));
    }
    let Some(user) = actor((id, name, role, district, credit_codes)) else {
        return Ok(Err(Refusal::BadCredentials));
    };
    let now = chrono::Utc::now().timestamp();
    match (totp::check(pool, id, code, now).await?, user.role) {
        (totp::Check::Accepted, _) => {}
        (totp::Check::NotEnrolled, Some(Role::Admin)) => return Ok(Err(Refusal::SecondFactorMissing)),
        (totp::Check::NotEnrolled, _) => {}
        (totp::Check::Missing, _) => return Ok(Err(Refusal::CodeRequired)),
        (totp::Check::Refused, _) => return Ok(Err(Refusal::BadCredentials)),
    }
    let key = secret::new_session_key()?;
    // Expired sessions of anyone are swept here, where sessions are made.
    sqlx::query("DELETE FROM user_session WHERE expires_at <= now()").execute(pool).await?;
    sqlx::query(
        "INSERT INTO user_session (user_id, token_hash, expires_at) VALUES ($1, $2, now() + make_interval(hours => $3::int))",
    )
    .bind(id)
    .bind(digest(&key))
    .bind(SESSION_HOURS as i32)
    .execute(pool)
    .await?;
    Ok(Ok((user, key)))
}

/// Password checks at once: each Argon2 verification takes about 19 MiB and a core.
const VERIFICATIONS: usize = 4;

/// Runs a password check when one of the [`VERIFICATIONS`] turns is free.
async fn verify<T: Send + 'static>(check: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
    static TURNS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(VERIFICATIONS);
    let _turn = TURNS.acquire().await?;
    Ok(tokio::task::spawn_blocking(check).await?)
}

/// Ends the session of `key` (nothing when there is none).
pub async fn sign_out(pool: &PgPool, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM user_session WHERE token_hash = $1").bind(digest(key)).execute(pool).await?;
    Ok(())
}
