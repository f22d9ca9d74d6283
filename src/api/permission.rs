//! What a route needs, and the one decision whether a caller meets it (from the role table in
//! [`crate::auth::permission`]); 401 when a credential is missing, 403 when the role is not
//! enough, both saying what is needed.

use axum::http::StatusCode;

use super::acting::Caller;
use super::problem::Problem;
use crate::auth::{Action, Role};

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Nothing: `/health`, the sign-in page and its assets, signing in and out.
    Nothing,
    /// Permission for an action (reading is open to anonymous callers under public read).
    To(Action),
    /// A write to `/api/layers/{layer}`: incidents are the dispatchers' work, every other layer
    /// is the registry.
    LayerWrite,
    /// A photo for a record: an incident's (the dispatchers' work), an inspection's (the
    /// registry's) or an order's (its addressee's, whoever that is); the handler checks the one
    /// the record needs.
    Attach,
    /// Reading plans: the bureau's readers, and enterprises (the handler shows an enterprise
    /// its own plans whole and others' public fields only).
    Plans,
    /// Answering orders: whoever an order may be addressed to (the bureau's users and
    /// enterprises); the handler checks it is theirs, or that they command its incident.
    Orders,
    /// SensorThings writes: the registry's for stations and their metadata, and dispatchers'
    /// too for observations (readings from the field); the handler checks which.
    Sensing,
}

impl From<Action> for Need {
    fn from(action: Action) -> Self {
        Need::To(action)
    }
}

impl Need {
    /// The action needed, given the `{layer}` of the path (None: nothing is needed).
    pub fn action(self, layer: Option<&str>) -> Option<Action> {
        self.actions(layer).first().copied()
    }

    /// The actions of which one is needed, given the `{layer}` of the path (none: nothing is needed).
    pub fn actions(self, layer: Option<&str>) -> &'static [Action] {
        match self {
            Need::Nothing => &[],
            Need::To(Action::Read) => &[Action::Read],
            Need::To(Action::EditRegistry) => &[Action::EditRegistry],
            Need::To(Action::HandleIncidents) => &[Action::HandleIncidents],
            Need::To(Action::ReadAudit) => &[Action::ReadAudit],
            Need::To(Action::ManageUsers) => &[Action::ManageUsers],
            Need::To(Action::FilePlans) => &[Action::FilePlans],
            Need::Plans => &[Action::Read, Action::FilePlans],
            Need::Orders => &[Action::Read, Action::FilePlans, Action::HandleIncidents],
            Need::LayerWrite if layer == Some("incident") => &[Action::HandleIncidents],
            Need::LayerWrite => &[Action::EditRegistry],
            Need::Attach => &[Action::HandleIncidents, Action::EditRegistry, Action::Read, Action::FilePlans],
            Need::Sensing => &[Action::EditRegistry, Action::HandleIncidents],
        }
    }
}

/// Whether `caller` may do what `need` asks; the refusal otherwise.
pub fn decide(need: Need, caller: &Caller, layer: Option<&str>) -> Result<(), Problem> {
    let actions = need.actions(layer);
    if actions.is_empty() {
        return Ok(());
    }
    let roles: Vec<&str> = crate::auth::permission::ROLES
        .into_iter()
        .filter(|r| actions.iter().any(|a| r.may(*a)))
        .map(Role::as_str)
        .collect();
    match caller.actor.role {
        // A district's shape decides every later jurisdiction check: its own users must not move it.
        Some(_) if need == Need::LayerWrite && layer == Some("district") && caller.actor.district.is_some() => {
            Err(Problem::new(
                StatusCode::FORBIDDEN,
                "city-wide user needed",
                format!(
                    "{} acts for one district; districts are changed by a city-wide planner or an administrator",
                    caller.actor.name
                ),
            )
            .with("required_roles", roles.into()))
        }
        Some(role) if actions.iter().any(|a| role.may(*a)) => Ok(()),
        None if actions == [Action::Read] && caller.public_read => Ok(()),
        None => Err(Problem::new(
            StatusCode::UNAUTHORIZED,
            "sign-in required",
            format!(
                "this needs a signed-in user with the role {} (sign in with POST /api/session, or send \
                 Authorization: Bearer <token>)",
                roles.join(" or ")
            ),
        )
        .with("required_roles", roles.into())),
        Some(role) => Err(Problem::new(
            StatusCode::FORBIDDEN,
            "role not allowed",
            format!("{} is a {role}; this needs the role {}", caller.actor.name, roles.join(" or ")),
        )
        .with("required_roles", roles.into())),
    }
}
