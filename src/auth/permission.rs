//! Roles and the one table of what each may do.

use std::fmt;
use std::str::FromStr;

/// What a user is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Reads the map and the registry.
    Viewer,
    /// A viewer who also handles incidents: plans, dispatches, reports.
    Dispatcher,
    /// A viewer who also edits the registry and imports; does not dispatch.
    Planner,
    /// Everything, users and the audit trail included.
    Admin,
    /// An enterprise bound to its own risk sources (by unified social credit code): drafts and
    /// files the plans of those sources and nothing else; it does not read the registry.
    Enterprise,
}

/// Every role, least first (the enterprise, outside the bureau, last).
pub const ROLES: [Role; 5] = [Role::Viewer, Role::Dispatcher, Role::Planner, Role::Admin, Role::Enterprise];

/// What a request may want to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read the map, the tiles, the registry, the analyses.
    Read,
    /// Create, change or delete registry rows (risk sources, inspections, receptors, routes,
    /// depots and stock, teams, experts, districts); import.
    EditRegistry,
    /// Incidents: record them, plan, dispatch, follow dispatches.
    HandleIncidents,
    /// Read the audit trail (district users: of their district).
    ReadAudit,
    /// Manage users and tokens.
    ManageUsers,
    /// Emergency plans: draft, submit for filing, attach documents (an enterprise for its own
    /// sources; a planner for any, and accepting or returning filings of their district).
    FilePlans,
}

/// The table: which role may do which action. Anonymous callers may only read, and only when
/// the server runs with public read.
const MAY: &[(Role, &[Action])] = &[
    (Role::Viewer, &[Action::Read]),
    (Role::Dispatcher, &[Action::Read, Action::HandleIncidents]),
    (Role::Planner, &[Action::Read, Action::EditRegistry, Action::ReadAudit, Action::FilePlans]),
    (Role::Admin, &ACTIONS),
    (Role::Enterprise, &[Action::FilePlans]),
];

impl Role {
    /// Whether this role may do `action`.
    pub fn may(self, action: Action) -> bool {
        MAY.iter().any(|(role, actions)| *role == self && actions.contains(&action))
    }

    /// The roles that may do `action`, for a refusal that says who could.
    pub fn allowed(action: Action) -> Vec<Role> {
        ROLES.into_iter().filter(|r| r.may(action)).collect()
    }

    /// The name used in the database, the API and the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Dispatcher => "dispatcher",
            Role::Planner => "planner",
            Role::Admin => "admin",
            Role::Enterprise => "enterprise",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        ROLES
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("`{s}` is not a role; the roles are viewer, dispatcher, planner, admin, enterprise"))
    }
}

impl Action {
    /// The name the API uses (`GET /api/me` lists what the user may do).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::EditRegistry => "edit_registry",
            Action::HandleIncidents => "handle_incidents",
            Action::ReadAudit => "read_audit",
            Action::ManageUsers => "manage_users",
            Action::FilePlans => "file_plans",
        }
    }
}

/// Every action.
pub const ACTIONS: [Action; 6] = [
    Action::Read,
    Action::EditRegistry,
    Action::HandleIncidents,
    Action::ReadAudit,
    Action::ManageUsers,
    Action::FilePlans,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_roles_are_as_the_bureau_defines_them() {
        assert!(Role::Viewer.may(Action::Read) && !Role::Viewer.may(Action::EditRegistry));
        assert!(Role::Dispatcher.may(Action::HandleIncidents) && !Role::Dispatcher.may(Action::EditRegistry));
        assert!(Role::Planner.may(Action::EditRegistry) && !Role::Planner.may(Action::HandleIncidents));
        assert!(ACTIONS.iter().all(|a| Role::Admin.may(*a)));
        assert!(!Role::Planner.may(Action::ManageUsers));
        assert!(Role::Enterprise.may(Action::FilePlans) && !Role::Enterprise.may(Action::Read));
        for role in ROLES {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
    }
}
