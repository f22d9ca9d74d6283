//! Who may do what: accounts and their credentials, roles and the one table of what each may
//! do, jurisdictions (a user bound to a district), failed sign-ins, and the audit trail that
//! the database writes.

pub mod accounts;
pub mod audit;
pub mod cache;
pub mod credential;
pub mod jurisdiction;
pub mod permission;
pub mod refused;
pub mod secret;
pub mod security;
pub mod sign_in;
pub mod totp;

pub use permission::{Action, Role};

/// Who is acting: a user of onemap, a command-line operator, or nobody signed in.
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    /// The user's id (None: anonymous or the command line).
    pub user_id: Option<i64>,
    /// The user's name, as the audit trail records it.
    pub name: String,
    /// What the user may do (None: anonymous).
    pub role: Option<Role>,
    /// The district (区县 code) the user acts for; None: the whole city.
    pub district: Option<String>,
    /// An enterprise user's unified social credit codes: it acts for the risk sources that
    /// carry them (empty for every other user).
    pub credit_codes: Vec<String>,
}

impl Actor {
    /// Nobody signed in.
    pub fn anonymous() -> Self {
        Self { user_id: None, name: "anonymous".into(), role: None, district: None, credit_codes: Vec::new() }
    }

    /// The operator of a command on this machine (import, load-demo, user …): an administrator,
    /// recorded as `cli:<login>`.
    pub fn command_line() -> Self {
        let login = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".into());
        Self {
            user_id: None,
            name: format!("cli:{login}"),
            role: Some(Role::Admin),
            district: None,
            credit_codes: Vec::new(),
        }
    }

    /// onemap itself, doing `task` (writing its configuration, noting a missed deadline):
    /// recorded as `onemap:<task>`.
    pub fn system(task: &str) -> Self {
        Self {
            user_id: None,
            name: format!("onemap:{task}"),
            role: Some(Role::Admin),
            district: None,
            credit_codes: Vec::new(),
        }
    }

    /// Whether nobody is signed in.
    pub fn is_anonymous(&self) -> bool {
        self.role.is_none()
    }
}

/// Begins a transaction that tells PostgreSQL who acts (`onemap.actor`, `onemap.actor_id`, set
/// for this transaction only), so that the audit triggers record them with every change.
pub async fn begin_as(
    pool: &sqlx::PgPool,
    actor: &Actor,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT set_config('onemap.actor', $1, true), set_config('onemap.actor_id', $2, true)")
        .bind(&actor.name)
        .bind(actor.user_id.map(|id| id.to_string()).unwrap_or_default())
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}
