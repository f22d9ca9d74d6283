//! Accounts and API tokens: add, list, disable, change a password; create and revoke tokens.
//! Every change runs as an acting user, so the audit trail says who made it.

use serde::Serialize;
use sqlx::PgPool;

use super::begin_as;
use super::refused::Refused;
use super::secret::{self, check_password, hash_password};
use super::{Actor, Role};
use crate::error::Error;

/// Longest user name.
pub const MAX_NAME: usize = 64;
/// Longest validity of a token or password, days.
pub const MAX_DAYS: i64 = 3650;

/// An account as listed.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct User {
    /// Database id.
    pub id: i64,
    /// Sign-in name.
    pub name: String,
    /// viewer, dispatcher, planner or admin.
    pub role: String,
    /// The district code the user acts for, if bound to one.
    pub district: Option<String>,
    /// Whether the account is switched off.
    pub disabled: bool,
    /// When the password stops working, if ever.
    pub password_expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// An API token as listed (never the token itself).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Token {
    /// Database id (what `token revoke` takes).
    pub id: i64,
    /// Owner.
    pub user_name: String,
    /// What it is for.
    pub label: Option<String>,
    /// When it stops working, if ever.
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Checks a user name: 1–64 characters, no white space or control characters.
pub fn check_name(name: &str) -> Result<(), Error> {
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(Error::invalid("name", format!("a user name has 1–{MAX_NAME} characters")));
    }
    if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid("name", "a user name has no spaces or control characters"));
    }
    Ok(())
}

/// Checks a validity in days: more than 0, at most ten years.
pub fn check_days(days: Option<i64>) -> Result<(), Error> {
    match days {
        Some(d) if !(1..=MAX_DAYS).contains(&d) => Err(Error::invalid(
            "days",
            format!("{d} days: an expiry must be in the future and at most {MAX_DAYS} days away"),
        )),
        _ => Ok(()),
    }
}

/// The district code, checked to be one of the registry's districts.
async fn check_district(pool: &PgPool, code: Option<&str>) -> Result<(), Error> {
    let Some(code) = code else { return Ok(()) };
    let known: Option<String> =
        sqlx::query_scalar("SELECT name FROM district WHERE code = $1").bind(code).fetch_optional(pool).await?;
    if known.is_none() {
        return Err(Error::invalid("district", format!("`{code}` is not the code of a district in the registry")));
    }
    Ok(())
}

fn check_new_password(password: &str) -> Result<String, Error> {
    check_password(password).map_err(|e| Error::invalid("password", e))?;
    hash_password(password).map_err(|e| Error::Failed(e.to_string()))
}

/// Adds a user of the bureau (not an enterprise: [`add_enterprise`]); returns the id.
pub async fn add_user(
    pool: &PgPool,
    actor: &Actor,
    name: &str,
    role: Role,
    district: Option<&str>,
    password: &str,
    days: Option<i64>,
) -> Result<i64, Error> {
    if role == Role::Enterprise {
        return Err(Error::invalid(
            "role",
            "an enterprise user is bound to its unified social credit codes, not to a district: \
             add it with its codes (onemap user add NAME --role enterprise --credit-code CODE)",
        ));
    }
    check_district(pool, district).await?;
    insert(pool, actor, name, role, district, &[], password, days).await
}

/// Adds an enterprise user acting for the risk sources that carry `credit_codes` (unified
/// social credit codes, GB 32100-2015: 18 characters, the check digit verified); returns the id.
pub async fn add_enterprise(
    pool: &PgPool,
    actor: &Actor,
    name: &str,
    credit_codes: &[String],
    password: &str,
    days: Option<i64>,
) -> Result<i64, Error> {
    if credit_codes.is_empty() || credit_codes.len() > MAX_CODES {
        return Err(Error::invalid("credit_codes", format!("an enterprise user has 1–{MAX_CODES} credit codes")));
    }
    for code in credit_codes {
        if !crate::codes::is_credit_code(code) {
            return Err(Error::invalid(
                "credit_codes",
                format!("`{code}` is not a unified social credit code (18 characters with a valid check character)"),
            ));
        }
    }
    insert(pool, actor, name, Role::Enterprise, None, credit_codes, password, days).await
}

/// Most credit codes one enterprise user may act for.
pub const MAX_CODES: usize = 20;

#[allow(clippy::too_many_arguments)]
async fn insert(
    pool: &PgPool,
    actor: &Actor,
    name: &str,
    role: Role,
    district: Option<&str>,
    credit_codes: &[String],
    password: &str,
    days: Option<i64>,
) -> Result<i64, Error> {
    check_name(name)?;
    check_days(days)?;
    let hash = check_new_password(password)?;
    let mut tx = begin_as(pool, actor).await?;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO app_user (name, role, district, credit_codes, password_hash, password_expires_at) \
         VALUES ($1, $2, $3, $4, $5, now() + make_interval(days => $6::int)) ON CONFLICT (name) DO NOTHING RETURNING id",
    )
    .bind(name)
    .bind(role.as_str())
    .bind(district)
    .bind(credit_codes)
    .bind(&hash)
    .bind(days.map(|d| d as i32))
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = id else {
        return Err(Refused::UserExists { name: name.to_string() }.into());
    };
    tx.commit().await?;
    Ok(id)
}

/// Every user, by name.
pub async fn list_users(pool: &PgPool) -> Result<Vec<User>, Error> {
    Ok(sqlx::query_as("SELECT id, name, role, district, disabled, password_expires_at FROM app_user ORDER BY name")
        .fetch_all(pool)
        .await?)
}

/// Switches a user off: their sessions end and their tokens stop working at once.
pub async fn disable_user(pool: &PgPool, actor: &Actor, name: &str) -> Result<(), Error> {
    let mut tx = begin_as(pool, actor).await?;
    let id = user_id(&mut tx, name).await?;
    sqlx::query("UPDATE app_user SET disabled = true WHERE id = $1").bind(id).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM user_session WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a new password (valid for `days`, or without end); the user's sessions end.
pub async fn set_password(
    pool: &PgPool,
    actor: &Actor,
    name: &str,
    password: &str,
    days: Option<i64>,
) -> Result<(), Error> {
    check_days(days)?;
    let hash = check_new_password(password)?;
    let mut tx = begin_as(pool, actor).await?;
    let id = user_id(&mut tx, name).await?;
    sqlx::query(
        "UPDATE app_user SET password_hash = $2, password_changed_at = now(), \
           password_expires_at = now() + make_interval(days => $3::int) WHERE id = $1",
    )
    .bind(id)
    .bind(&hash)
    .bind(days.map(|d| d as i32))
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM user_session WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

async fn user_id(tx: &mut sqlx::PgConnection, name: &str) -> Result<i64, Error> {
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM app_user WHERE name = $1 FOR UPDATE")
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
    id.ok_or_else(|| Error::invalid("name", format!("there is no user `{name}`")))
}

/// A new token for user `name`: its id and the token, which is not kept and cannot be shown again.
pub async fn create_token(
    pool: &PgPool,
    actor: &Actor,
    name: &str,
    days: Option<i64>,
    label: Option<&str>,
) -> Result<(i64, String), Error> {
    check_days(days)?;
    let token = secret::new_token().map_err(|e| Error::Failed(e.to_string()))?;
    let mut tx = begin_as(pool, actor).await?;
    let user = user_id(&mut tx, name).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO api_token (user_id, label, token_hash, expires_at) \
         VALUES ($1, $2, $3, now() + make_interval(days => $4::int)) RETURNING id",
    )
    .bind(user)
    .bind(label)
    .bind(secret::digest(&token))
    .bind(days.map(|d| d as i32))
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((id, token))
}

/// Every token, newest first.
pub async fn list_tokens(pool: &PgPool) -> Result<Vec<Token>, Error> {
    Ok(sqlx::query_as(
        "SELECT t.id, u.name AS user_name, t.label, t.expires_at, t.revoked_at \
         FROM api_token t JOIN app_user u ON u.id = t.user_id ORDER BY t.id DESC",
    )
    .fetch_all(pool)
    .await?)
}

/// Revokes token `id`; it stops working on the next request.
pub async fn revoke_token(pool: &PgPool, actor: &Actor, id: i64) -> Result<(), Error> {
    let mut tx = begin_as(pool, actor).await?;
    let done = sqlx::query("UPDATE api_token SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT id FROM api_token WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
        return Err(match exists {
            None => Error::NotFound { layer: "api_token", id },
            Some(_) => Refused::AlreadyRevoked { id }.into(),
        });
    }
    tx.commit().await?;
    Ok(())
}
