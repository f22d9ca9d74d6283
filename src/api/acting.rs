//! Who is asking: one middleware reads the credential (a bearer token or the session cookie)
//! once per request, and one extractor, [`Acting`], hands the acting user (or anonymous) to
//! the handlers. Writes authenticated by cookie must come from onemap's own pages: a cross-site
//! request is refused before it reaches a handler. Single sign-on would be one more way to
//! fill [`Caller`] here.

use std::time::Duration;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::problem::Problem;
use crate::auth::{Actor, credential, security};

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "onemap_session";

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Via {
    /// No credential.
    #[default]
    Nothing,
    /// `Authorization: Bearer`.
    Token,
    /// The session cookie.
    Cookie,
}

/// The caller of a request, as the middleware found it.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The acting user, or anonymous.
    pub actor: Actor,
    /// How.
    pub via: Via,
    /// Whether the server lets anonymous callers read.
    pub public_read: bool,
}

impl Default for Caller {
    fn default() -> Self {
        Self { actor: Actor::anonymous(), via: Via::Nothing, public_read: false }
    }
}

/// The acting user of a request (anonymous when no one signed in).
pub struct Acting(pub Actor);

impl<S: Send + Sync> FromRequestParts<S> for Acting {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        Ok(Acting(parts.extensions.get::<Caller>().map(|c| c.actor.clone()).unwrap_or_else(Actor::anonymous)))
    }
}

/// The value of the session cookie, if sent.
pub fn session_key(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_string())
}

fn unauthorized(detail: &str) -> Response {
    Problem::new(StatusCode::UNAUTHORIZED, "bad credentials", detail).into_response()
}

/// How long the database is given to say who a credential belongs to before memory is asked.
const LOOKUP_WAIT: Duration = Duration::from_secs(2);

/// What the database (or, while it is down, memory) says of a credential.
enum Verdict {
    Valid(Actor),
    Invalid,
    /// Verified recently but the database cannot be asked now: reads only.
    Remembered(Actor),
    Unreachable,
}

/// Asks the database who `secret` belongs to (`lookup`), falling back to the credentials
/// verified within the last minutes when it cannot answer.
async fn verify<F>(state: &AppState, secret: &str, lookup: F) -> Verdict
where
    F: Future<Output = Result<Option<Actor>, sqlx::Error>>,
{
    let digest = crate::auth::secret::digest(secret);
    let asked = if state.credentials.database_down() {
        None
    } else {
        let answer = tokio::time::timeout(LOOKUP_WAIT, lookup).await;
        if !matches!(answer, Ok(Ok(_))) {
            tracing::warn!("a credential could not be looked up in the database; memory is asked");
            state.credentials.database_failed();
        }
        answer.ok().and_then(Result::ok)
    };
    match asked {
        Some(Some(actor)) => {
            state.credentials.remember(digest, &actor);
            Verdict::Valid(actor)
        }
        Some(None) => {
            state.credentials.forget(&digest);
            Verdict::Invalid
        }
        None => state.credentials.recall(&digest).map_or(Verdict::Unreachable, Verdict::Remembered),
    }
}

fn unreachable() -> Response {
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "database unreachable",
        "the database cannot be reached to check this credential; nothing was written",
    )
    .with("retry_after_s", 5.into())
    .into_response()
}

/// Finds the caller and puts a [`Caller`] in the request's extensions; a refusal (401, 403)
/// goes to the security log (sampled, so a flood cannot fill the disk).
pub async fn authenticate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    // Written out for the security log only when refused.
    let address = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let (method, uri) = (request.method().clone(), request.uri().clone());
    let (response, who) = match identify(&state, request.headers(), &method).await {
        Ok(caller) => {
            let who = (!caller.actor.is_anonymous()).then(|| caller.actor.name.clone());
            request.extensions_mut().insert(caller);
            (next.run(request).await, who)
        }
        Err(refused) => refused,
    };
    let status = response.status();
    if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
        let address = address.map_or_else(|| "unknown".into(), |a| a.to_string());
        if let Some(left_out) = state.refusals.admit(&address) {
            let actor = who.unwrap_or_else(|| "anonymous".into());
            let detail = serde_json::json!({"status": status.as_u16(), "method": method.as_str(), "path": uri.path(),
                                            "left_out_before": left_out});
            let pool = state.pool.clone();
            tokio::spawn(async move { security::record(&pool, "refused", &actor, None, Some(address), detail).await });
        }
    }
    response
}

/// The caller of `request`, or the answer that refuses it (with the user's name when known).
async fn identify(
    state: &AppState,
    headers: &HeaderMap,
    method: &Method,
) -> Result<Caller, (Response, Option<String>)> {
    let mut caller = Caller { public_read: state.public_read, ..Caller::default() };
    let mut remembered = false;
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let Some(token) = value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).map(str::trim) else {
            return Err((unauthorized("the Authorization header must be `Bearer <token>`"), None));
        };
        match verify(state, token, credential::from_token(&state.pool, token)).await {
            Verdict::Valid(actor) => caller = Caller { actor, via: Via::Token, ..caller },
            Verdict::Remembered(actor) => (caller, remembered) = (Caller { actor, via: Via::Token, ..caller }, true),
            Verdict::Invalid => {
                let detail = "the token is not valid: unknown, malformed, expired or revoked, or its user is disabled";
                return Err((unauthorized(detail), None));
            }
            Verdict::Unreachable => return Err((unreachable(), None)),
        }
    } else if let Some(key) = session_key(headers) {
        match verify(state, &key, credential::from_session(&state.pool, &key, state.session_idle_minutes)).await {
            Verdict::Valid(actor) => caller = Caller { actor, via: Via::Cookie, ..caller },
            Verdict::Remembered(actor) => (caller, remembered) = (Caller { actor, via: Via::Cookie, ..caller }, true),
            // A stale cookie is no credential: the sign-in page still opens, protected routes say 401.
            Verdict::Invalid => {}
            Verdict::Unreachable => return Err((unreachable(), None)),
        }
        if caller.via == Via::Cookie && !is_safe(method) && !same_origin(headers) {
            let refusal = Problem::new(
                StatusCode::FORBIDDEN,
                "cross-site request refused",
                "a write signed in by cookie must come from onemap's own pages (its Origin, or Sec-Fetch-Site: \
                 same-origin); API clients send Authorization: Bearer instead; nothing was written",
            );
            return Err((refusal.into_response(), Some(caller.actor.name)));
        }
    }
    // Known from memory only: what is served from memory may be read; nothing may be written.
    if remembered && !is_safe(method) {
        let refusal = Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database unreachable",
            "the database cannot be reached; nothing was written; the map is still served from memory",
        )
        .with("retry_after_s", 5.into());
        return Err((refusal.into_response(), Some(caller.actor.name)));
    }
    Ok(caller)
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether a request says it comes from a page of this server: its `Origin` names this host,
/// or (without `Origin`) the browser says `Sec-Fetch-Site: same-origin`.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    match (text("origin"), text("host")) {
        (Some(origin), Some(host)) => {
            origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) == Some(host)
        }
        (Some(_), None) => false,
        (None, _) => text("sec-fetch-site") == Some("same-origin"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn only_this_servers_pages_are_same_origin() {
        assert!(same_origin(&headers(&[("host", "127.0.0.1:8080"), ("origin", "http://127.0.0.1:8080")])));
        assert!(!same_origin(&headers(&[("host", "127.0.0.1:8080"), ("origin", "http://evil.example")])));
        assert!(!same_origin(&headers(&[("host", "127.0.0.1:8080"), ("origin", "null")])));
        assert!(!same_origin(&headers(&[("host", "127.0.0.1:8080"), ("origin", "http://127.0.0.1:8080.evil")])));
        assert!(same_origin(&headers(&[("host", "a"), ("sec-fetch-site", "same-origin")])));
        assert!(!same_origin(&headers(&[("host", "a"), ("sec-fetch-site", "cross-site")])));
        assert!(!same_origin(&headers(&[("host", "a")])));
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let h = headers(&[("cookie", "a=1; onemap_session=abc; b=2")]);
        assert_eq!(session_key(&h).as_deref(), Some("abc"));
        assert_eq!(session_key(&headers(&[("cookie", "onemap_sessionx=1")])), None);
    }
}
