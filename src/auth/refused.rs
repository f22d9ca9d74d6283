//! Why a change of accounts is refused in the present state.

/// A refusal of an account change: nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// The name is taken.
    #[error("there is already a user `{name}`")]
    UserExists {
        /// The name asked for.
        name: String,
    },
    /// The token was revoked before.
    #[error("token {id} is already revoked")]
    AlreadyRevoked {
        /// The token.
        id: i64,
    },
}

impl crate::error::Refusal for Refused {
    fn title(&self) -> &'static str {
        match self {
            Self::UserExists { .. } => "user exists",
            Self::AlreadyRevoked { .. } => "already revoked",
        }
    }
}
