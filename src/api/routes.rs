//! A router that knows what each of its routes needs: every `(method, path)` is added with the
//! [`Need`] the caller must meet, checked before the handler runs, and listed by
//! [`Routes::rules`] so a test can try every route as every role. A route cannot be added
//! without a rule.

use axum::Router;
use axum::extract::{RawPathParams, Request};
use axum::handler::Handler;
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, on};

use super::AppState;
use super::acting::Caller;
use super::doc::Doc;
use super::permission::{Need, decide};

/// One route and what it needs.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The HTTP method.
    pub method: Method,
    /// The path pattern, as axum writes it (`/api/layers/{layer}`).
    pub path: &'static str,
    /// What the caller must be allowed.
    pub need: Need,
    /// What it takes and gives, for the OpenAPI document.
    pub doc: Option<Doc>,
}

/// Routes with their rules.
#[derive(Default)]
pub struct Routes {
    router: Router<AppState>,
    rules: Vec<Rule>,
}

macro_rules! method {
    ($name:ident, $filter:ident, $method:ident) => {
        #[doc = concat!("Adds `", stringify!($method), " path` needing `need`.")]
        pub fn $name<H, T>(self, path: &'static str, need: impl Into<Need>, handler: H) -> Self
        where
            H: Handler<T, AppState>,
            T: 'static,
        {
            self.add(Method::$method, path, need.into(), on(axum::routing::MethodFilter::$filter, handler))
        }
    };
}

impl Routes {
    /// No routes.
    pub fn new() -> Self {
        Self::default()
    }

    method!(get, GET, GET);
    method!(post, POST, POST);
    method!(put, PUT, PUT);
    method!(patch, PATCH, PATCH);
    method!(delete, DELETE, DELETE);

    fn add(mut self, method: Method, path: &'static str, need: Need, route: MethodRouter<AppState>) -> Self {
        let route =
            route.route_layer(middleware::from_fn(move |request: Request, next: Next| check(need, request, next)));
        self.router = self.router.route(path, route);
        self.rules.push(Rule { method, path, need, doc: None });
        self
    }

    /// Describes the route added last (for `/api/openapi.json`).
    pub fn doc(mut self, doc: Doc) -> Self {
        if let Some(rule) = self.rules.last_mut() {
            rule.doc = Some(doc);
        }
        self
    }

    /// These routes and `other`'s.
    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.rules.extend(other.rules);
        self
    }

    /// Every route with its rule.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The axum router.
    pub fn into_router(self) -> Router<AppState> {
        self.router
    }
}

async fn check(need: Need, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let params = <RawPathParams as axum::extract::FromRequestParts<()>>::from_request_parts(&mut parts, &()).await;
    let layer = params.ok().and_then(|p| p.iter().find(|(k, _)| *k == "layer").map(|(_, v)| v.to_string()));
    let caller = parts.extensions.get::<Caller>().cloned().unwrap_or_default();
    if let Err(problem) = decide(need, &caller, layer.as_deref()) {
        return problem.into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}
