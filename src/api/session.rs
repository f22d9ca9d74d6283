//! Signing in and out of the viewer (`POST` / `DELETE /api/session`, an HttpOnly SameSite=Strict
//! cookie) and `GET /api/me`: who is asking and what they may do.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::AppState;
use super::acting::{Acting, SESSION_COOKIE, same_origin, session_key};
use super::body::JsonBody;
use super::doc::Doc;
use super::nearest::invalid;
use super::permission::Need;
use super::problem::Problem;
use super::routes::Routes;
use crate::auth::accounts::MAX_NAME;
use crate::auth::credential::{self, Refusal, SESSION_HOURS};
use crate::auth::permission::ACTIONS;
use crate::auth::secret::MAX_PASSWORD;
use crate::auth::{Action, Actor, security};

/// Routes of signing in and out.
pub fn router() -> Routes {
    Routes::new()
        .post("/api/session", Need::Nothing, sign_in)
        .doc(
            Doc::new("sign in: sets the session cookie (HttpOnly, SameSite=Strict); five failures wait")
                .body_of::<SignIn>()
                .answer_of::<Me>(200, "who signed in and what they may do")
                .also(401, "the name, the password or the one-time code is wrong (or the code is needed)")
                .also(403, "from another site's page")
                .also(429, "too many failed sign-ins of this name or from this address; see Retry-After"),
        )
        .delete("/api/session", Need::Nothing, sign_out)
        .doc(Doc::new("sign out: ends the session and clears the cookie").nothing("signed out"))
        .get("/api/me", Need::Nothing, me)
        .doc(Doc::new("who is asking and what they may do").answer_of::<Me>(200, "the caller"))
}

/// A user name and password.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SignIn {
    username: String,
    password: String,
    /// The six-digit one-time code (users who enrolled a second factor; administrators).
    #[serde(default)]
    code: Option<String>,
}

/// Who is asking, as the viewer needs it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Me {
    /// The user's name (none: anonymous).
    user: Option<String>,
    /// viewer, dispatcher or administrator (none: anonymous).
    role: Option<&'static str>,
    /// The district code the user acts in (none: the whole city).
    district: Option<String>,
    /// The district's name.
    district_name: Option<String>,
    /// The actions the caller may take.
    may: Vec<&'static str>,
    /// Whether anyone may read without signing in.
    public_read: bool,
}

/// Who `actor` is, as the viewer needs it.
async fn describe(state: &AppState, actor: &Actor) -> Result<Me, Problem> {
    let district_name: Option<String> = match &actor.district {
        Some(code) => {
            sqlx::query_scalar("SELECT name FROM district WHERE code = $1")
                .bind(code)
                .fetch_optional(&state.pool)
                .await?
        }
        None => None,
    };
    let may: Vec<&'static str> = match actor.role {
        Some(role) => ACTIONS.iter().filter(|a| role.may(**a)).map(|a| a.as_str()).collect(),
        None if state.public_read => vec![Action::Read.as_str()],
        None => vec![],
    };
    Ok(Me {
        user: (!actor.is_anonymous()).then(|| actor.name.clone()),
        role: actor.role.map(|r| r.as_str()),
        district: actor.district.clone(),
        district_name,
        may,
        public_read: state.public_read,
    })
}

async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, Problem> {
    if headers.contains_key("origin") && !same_origin(&headers) {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "cross-site request refused",
            "sign in from onemap's own page",
        ));
    }
    let given: SignIn = super::extract::read(body)?;
    if given.username.is_empty() || given.username.chars().count() > MAX_NAME {
        return Err(invalid("username", format!("a user name has 1–{MAX_NAME} characters")));
    }
    if given.password.len() > MAX_PASSWORD {
        return Err(invalid("password", format!("a password has at most {MAX_PASSWORD} bytes")));
    }
    let ip = Some(from.ip());
    // The attempt is counted before the password is checked: parallel guesses cannot all pass.
    let log = |kind: &'static str, detail: Value| {
        let (pool, name) = (state.pool.clone(), given.username.clone());
        let address = Some(from.ip().to_string());
        tokio::spawn(async move { security::record(&pool, kind, &name, Some(&name), address, detail).await });
    };
    let attempt = match state.sign_ins.attempt(&given.username, ip) {
        Ok(attempt) => attempt,
        Err(wait) => {
            log("locked_out", json!({"retry_after_s": wait.as_secs()}));
            return Err(too_many(wait.as_secs().max(1)));
        }
    };
    if given.code.as_ref().is_some_and(|c| c.len() > 16) {
        return Err(invalid("code", "a one-time code has six digits"));
    }
    let code = given.code.as_deref();
    let outcome = credential::sign_in(&state.pool, &given.username, &given.password, code).await.map_err(|e| {
        tracing::error!(error = %e, "sign-in failed");
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "sign-in failed", "the sign-in could not be checked")
    })?;
    let (actor, key) = match outcome {
        Ok(done) => done,
        Err(refusal) => {
            log("sign_in_failed", json!({"reason": format!("{refusal:?}")}));
            let hold = state.sign_ins.attempt_failed(attempt, &given.username, ip);
            tokio::time::sleep(hold).await;
            let detail = match refusal {
                Refusal::BadCredentials => "the user name, the password or the one-time code is wrong",
                Refusal::PasswordExpired => "the password has expired; an administrator can set a new one",
                Refusal::CodeRequired => "give the six-digit one-time code of your authenticator app as well",
                Refusal::SecondFactorMissing => {
                    "administrators sign in with a one-time code too: enrol one with onemap user totp NAME"
                }
            };
            let problem = Problem::new(StatusCode::UNAUTHORIZED, "sign-in refused", detail);
            return Err(if refusal == Refusal::CodeRequired {
                problem.with("code_required", true.into())
            } else {
                problem
            });
        }
    };
    state.sign_ins.attempt_succeeded(attempt, &given.username);
    log("sign_in", json!({"role": actor.role.map(|r| r.as_str())}));
    let cookie = format!("{SESSION_COOKIE}={key}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}", SESSION_HOURS * 3600);
    let mut response = axum::Json(describe(&state, &actor).await?).into_response();
    response.headers_mut().insert(header::SET_COOKIE, header_value(&cookie));
    Ok(response)
}

fn header_value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn too_many(seconds: u64) -> Problem {
    Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too many failed sign-ins",
        format!("too many failed sign-ins for this name or from this address; try again in {seconds} s"),
    )
    .with("retry_after_s", seconds.into())
}

async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Problem> {
    if let Some(key) = session_key(&headers) {
        credential::sign_out(&state.pool, &key).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("onemap_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(response)
}

async fn me(State(state): State<AppState>, Acting(actor): Acting) -> Result<Response, Problem> {
    Ok(axum::Json(describe(&state, &actor).await?).into_response())
}
