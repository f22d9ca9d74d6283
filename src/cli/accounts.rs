//! `onemap user`, `onemap token` and `onemap audit`: accounts, credentials and the logs.

use anyhow::{Context, Result};

use super::args::{AuditAction, DatabaseArgs, TokenAction, UserAction};
use super::database::with_database;
use crate::auth::{Actor, accounts, audit, security};

/// The password of a new account or a new password: one line from standard input, or a new
/// random one (returned to be printed).
fn password(from_stdin: bool) -> Result<(String, bool)> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).context("cannot read the password from standard input")?;
        let password = line.trim_end_matches(['\n', '\r']).to_string();
        return Ok((password, false));
    }
    Ok((crate::auth::secret::new_password()?, true))
}

pub async fn user_command(pool: &sqlx::PgPool, action: UserAction) -> Result<()> {
    let me = Actor::command_line();
    match action {
        UserAction::Add { name, role, district, credit_code, password_stdin, days } => {
            let (password, made) = password(password_stdin)?;
            let id = if role == crate::auth::Role::Enterprise {
                accounts::add_enterprise(pool, &me, &name, &credit_code, &password, days).await?
            } else if !credit_code.is_empty() {
                anyhow::bail!("--credit-code binds an enterprise user; give --role enterprise");
            } else {
                accounts::add_user(pool, &me, &name, role, district.as_deref(), &password, days).await?
            };
            let bound = match (&district, credit_code.is_empty()) {
                (Some(d), _) => format!(", district {d}"),
                (None, false) => format!(", credit codes {}", credit_code.join(", ")),
                _ => String::new(),
            };
            println!("added user {name} (id {id}), role {role}{bound}");
            if made {
                println!("password (shown once): {password}");
            }
        }
        UserAction::List => {
            println!("{:<6} {:<24} {:<11} {:<9} {:<9} password expires", "id", "name", "role", "district", "status");
            for u in accounts::list_users(pool).await? {
                println!(
                    "{:<6} {:<24} {:<11} {:<9} {:<9} {}",
                    u.id,
                    u.name,
                    u.role,
                    u.district.as_deref().unwrap_or("-"),
                    if u.disabled { "disabled" } else { "active" },
                    u.password_expires_at.map(|t| t.to_rfc3339()).unwrap_or_else(|| "never".into())
                );
            }
        }
        UserAction::Totp { name } => {
            let uri = crate::auth::totp::enrol(pool, &me, &name).await?;
            println!("{}", crate::auth::totp::qr(&uri));
            println!("scan the code with an authenticator app, or enter this (shown once):");
            println!("{uri}");
        }
        UserAction::Disable { name } => {
            accounts::disable_user(pool, &me, &name).await?;
            println!("disabled {name}: their sessions and tokens no longer work");
        }
        UserAction::Passwd { name, password_stdin, days } => {
            let (password, made) = password(password_stdin)?;
            accounts::set_password(pool, &me, &name, &password, days).await?;
            println!("new password set for {name}; their sessions have ended");
            if made {
                println!("password (shown once): {password}");
            }
        }
    }
    Ok(())
}

pub async fn token_command(pool: &sqlx::PgPool, action: TokenAction) -> Result<()> {
    let me = Actor::command_line();
    match action {
        TokenAction::Create { name, days, label } => {
            let (id, token) = accounts::create_token(pool, &me, &name, days, label.as_deref()).await?;
            println!(
                "token {id} for {name}{}; it is shown once, keep it now:",
                days.map(|d| format!(", valid {d} days")).unwrap_or_default()
            );
            println!("{token}");
        }
        TokenAction::List => {
            println!("{:<6} {:<24} {:<26} {:<26} label", "id", "user", "expires", "revoked");
            let time = |t: Option<chrono::DateTime<chrono::Utc>>, none: &str| {
                t.map(|t| t.to_rfc3339()).unwrap_or_else(|| none.into())
            };
            for t in accounts::list_tokens(pool).await? {
                println!(
                    "{:<6} {:<24} {:<26} {:<26} {}",
                    t.id,
                    t.user_name,
                    time(t.expires_at, "never"),
                    time(t.revoked_at, "-"),
                    t.label.unwrap_or_default()
                );
            }
        }
        TokenAction::Revoke { id } => {
            accounts::revoke_token(pool, &me, id).await?;
            println!("revoked token {id}");
        }
    }
    Ok(())
}

/// `onemap audit security` and `onemap audit prune`.
pub async fn audit_action(args: &DatabaseArgs, what: AuditAction) -> Result<()> {
    match what {
        AuditAction::Security { kind, user, since, limit } => {
            let query = security::SecurityQuery { kind, user, since, before_id: None, limit };
            with_database(args, async |db| {
                let records = security::read(&db.pool, &query).await?;
                println!("{:<8} {:<32} {:<15} {:<20} {:<20} {:<16} detail", "id", "at", "kind", "actor", "user", "from");
                for r in &records {
                    println!(
                        "{:<8} {:<32} {:<15} {:<20} {:<20} {:<16} {}",
                        r.id,
                        r.at.to_rfc3339(),
                        r.kind,
                        r.actor,
                        r.user.as_deref().unwrap_or(""),
                        r.address.as_deref().unwrap_or(""),
                        r.detail
                    );
                }
                Ok(())
            })
            .await
        }
        AuditAction::Prune { older_than_days } => {
            with_database(args, async |db| {
                let (audit, security) =
                    security::prune(&db.pool, &Actor::command_line().name, older_than_days).await?;
                println!("pruned records older than {older_than_days} days: {audit} of the audit trail, {security} of the security log");
                Ok(())
            })
            .await
        }
    }
}

/// `onemap audit`: the data audit trail, newest first.
pub async fn audit_list(args: &DatabaseArgs, query: audit::AuditQuery, full: bool) -> Result<()> {
    with_database(args, async |db| {
        let records = audit::read(&db.pool, &Actor::command_line(), &query).await?;
        print_audit(&records, full);
        Ok(())
    })
    .await
}

fn print_audit(records: &[audit::RowChange], full: bool) {
    println!("{:<8} {:<32} {:<20} {:<7} {:<16} row", "id", "at", "actor", "op", "table");
    let json = |v: &Option<serde_json::Value>| v.as_ref().map_or("null".to_string(), |v| v.to_string());
    for r in records {
        println!("{:<8} {:<32} {:<20} {:<7} {:<16} {}", r.id, r.at.to_rfc3339(), r.actor, r.op, r.table, r.row_id);
        if full {
            println!("         before: {}", json(&r.before));
            println!("         after:  {}", json(&r.after));
        }
    }
}
