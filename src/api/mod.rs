//! The HTTP API: one router per area, shared state, problems for every error.

pub mod acting;
pub mod air;
pub mod alarms;
pub mod around;
pub mod attachments;
pub mod audit;
pub mod body;
pub mod coverage;
pub mod doc;
pub mod drills;
pub mod events;
pub mod extract;
pub mod guard;
pub mod headers;
pub mod health;
pub mod idempotency;
pub mod incidents;
pub mod intake;
pub mod layers;
pub mod metrics;
pub mod monitoring;
pub mod nearest;
pub mod offline;
pub mod ogc;
pub mod openapi;
pub mod permission;
pub mod plans;
pub mod problem;
pub mod reports;
pub mod response;
pub mod review;
pub mod risk;
pub mod rivers;
pub mod route;
pub mod routes;
mod run;
pub mod self_checks;

pub use events::StreamLimits;
pub use run::{run, run_offline};
pub mod session;
pub mod sta;
pub mod standards;
pub mod stations;
pub mod stats;
pub mod stock;
pub mod tiles;
pub mod viewer;
pub mod warnings;
pub mod words;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use sqlx::PgPool;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

use crate::snapshot::{self, Snapshot};
use crate::tiles::cache::TileCache;
use problem::Problem;
use routes::Routes;

/// Longest request URI accepted.
pub const MAX_URI: usize = 8 * 1024;

/// What every handler can reach: one pointer to it, cloned for every request by each
/// middleware and handler (a clone of twenty shared fields was a fifth of a cached tile's time).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of the application's state.
pub struct Shared {
    /// The database.
    pub pool: PgPool,
    /// The in-memory map layers.
    pub snapshot: Arc<Snapshot>,
    /// Encoded tiles.
    pub tiles: Arc<TileCache>,
    /// The tasks that follow the database's changes and watch the deadlines (they hold pooled
    /// connections).
    pub follower: Arc<Vec<tokio::task::AbortHandle>>,
    /// The live feed's announcer.
    pub feed: Arc<crate::feed::Feed>,
    /// Set when the server shuts down: open event streams end, so the shutdown can finish.
    pub closing: Arc<tokio::sync::watch::Sender<bool>>,
    /// The road network for routing.
    pub roads: Arc<arc_swap::ArcSwap<crate::routing::RoadGraph>>,
    /// The river network for tracing spills.
    pub rivers: Arc<arc_swap::ArcSwap<crate::routing::RoadGraph>>,
    /// The risk model and the latest risk map.
    pub risk: Arc<crate::risk::map::RiskState>,
    /// Whether anonymous callers may read.
    pub public_read: bool,
    /// Failed sign-ins, per name and address.
    pub sign_ins: Arc<crate::auth::sign_in::SignInGuard>,
    /// Requests counted for `/metrics`.
    pub metrics: Arc<metrics::Metrics>,
    /// The open event streams.
    pub streams: Arc<events::Streams>,
    /// Credentials verified recently (the map stays up for them while the database is down).
    pub credentials: Arc<crate::auth::cache::Credentials>,
    /// Minutes a session lasts without use.
    pub session_idle_minutes: u32,
    /// Which refused requests go to the security log.
    pub refusals: Arc<crate::auth::security::RefusalSampler>,
    /// Who must file an emergency plan.
    pub plan_scope: Arc<crate::plans::due::Scope>,
}

impl AppState {
    /// Loads the snapshot and starts following the database's changes.
    pub async fn start(pool: PgPool, config: &ServerConfig) -> anyhow::Result<Self> {
        config.report_deadlines.write(&pool).await.context("cannot write the report deadlines")?;
        use crate::routing::live::{Network, follow, start};
        // The road graph loads beside the map layers, on a thread of its own, from the moment
        // `start` first asks (after its LISTEN).
        let reading = pool.clone();
        let roads = async move { tokio::spawn(async move { Network::Roads.load(&reading).await }).await? };
        let started = snapshot::refresh::start(&pool, roads).await?;
        let (snapshot, feed, task) = (started.snapshot, started.feed, started.task);
        let roads = follow(&pool, started.changes, Network::Roads, started.beside);
        let watcher = tokio::spawn(crate::feed::deadlines::watch(pool.clone(), config.deadline_check));
        let credentials = Arc::new(crate::auth::cache::Credentials::default());
        let revocations = tokio::spawn(credentials.clone().follow(pool.clone()));
        let rivers = start(&pool, &snapshot, Network::Rivers).await?;
        // The plans' clocks move by days: every ten minutes is soon enough (and at once).
        let plan_check = config.deadline_check.max(std::time::Duration::from_secs(600));
        let plan_watcher = tokio::spawn(crate::plans::notices::watch(pool.clone(), rivers.clone(), plan_check));
        let silence =
            tokio::spawn(crate::sensing::alarms::watch(pool.clone(), config.silent_after, config.deadline_check));
        let follower = Arc::new(vec![
            task.abort_handle(),
            watcher.abort_handle(),
            plan_watcher.abort_handle(),
            silence.abort_handle(),
            revocations.abort_handle(),
        ]);
        let tiles = Arc::new(TileCache::new(config.tile_cache_mb * 1024 * 1024));
        let risk = Arc::new(crate::risk::map::RiskState::new(config.risk_model.clone()));
        Ok(Self(Arc::new(Shared {
            pool,
            snapshot,
            feed,
            closing: Arc::new(tokio::sync::watch::channel(false).0),
            tiles,
            follower,
            roads,
            rivers,
            risk,
            public_read: config.public_read,
            sign_ins: Default::default(),
            metrics: Default::default(),
            streams: Arc::new(events::Streams::new(config.streams)),
            credentials,
            session_idle_minutes: config.session_idle_minutes,
            refusals: Default::default(),
            plan_scope: Arc::new(config.plan_scope.clone()),
        })))
    }

    /// Ends the open event streams (they would hold a graceful shutdown open for ever).
    pub fn close_streams(&self) {
        self.closing.send_replace(true);
    }

    /// Stops following changes, returning the listener's connection to the pool (before the
    /// pool is closed: a closing pool waits for every connection).
    pub fn stop(&self) {
        for task in self.follower.iter() {
            task.abort();
        }
    }

    /// Applies this process's own write to the snapshot at once (the notification follows later).
    pub async fn refresh(&self, layer: &str, ids: &[i64]) {
        if let Err(err) = self.snapshot.apply(&self.pool, layer, ids).await {
            tracing::warn!(error = %err, layer, "cannot refresh the map after a write");
        }
    }
}

/// Settings of the HTTP server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Largest accepted request body in bytes.
    pub max_body_bytes: usize,
    /// Tiles kept in memory (0: no cache).
    pub tile_cache_mb: u64,
    /// Parameters of the risk indexes.
    pub risk_model: crate::risk::model::Model,
    /// Let anonymous callers read the map, the tiles and the registry (a wall screen on a
    /// closed network); writes always need a credential.
    pub public_read: bool,
    /// When incident reports are due.
    pub report_deadlines: crate::duty::deadlines::Deadlines,
    /// Who must file an emergency plan.
    pub plan_scope: crate::plans::due::Scope,
    /// How often deadlines coming near or passing (and stations gone silent) are looked for.
    pub deadline_check: std::time::Duration,
    /// How long a station may send nothing before it raises a silence alarm.
    pub silent_after: std::time::Duration,
    /// How long a request may take until its answer starts.
    pub request_timeout: std::time::Duration,
    /// How many event streams may be open.
    pub streams: events::StreamLimits,
    /// Minutes a browser's session lasts without use (beside its absolute 12 hours).
    pub session_idle_minutes: u32,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 20 * 1024 * 1024,
            tile_cache_mb: 256,
            risk_model: crate::risk::model::Model::builtin(),
            public_read: false,
            report_deadlines: crate::duty::deadlines::Deadlines::builtin(),
            plan_scope: crate::plans::due::Scope::builtin(),
            deadline_check: std::time::Duration::from_secs(30),
            silent_after: std::time::Duration::from_secs(3 * 3600),
            request_timeout: guard::DEFAULT_TIMEOUT,
            streams: events::StreamLimits::default(),
            session_idle_minutes: crate::auth::credential::IDLE_MINUTES,
        }
    }
}

/// Every route of the application with what it needs.
pub fn routes() -> Routes {
    Routes::new()
        .merge(health::router())
        .merge(metrics::router())
        .merge(session::router())
        .merge(layers::router())
        .merge(ogc::router())
        .merge(stock::router())
        .merge(tiles::router())
        .merge(around::router())
        .merge(nearest::router())
        .merge(route::router())
        .merge(incidents::router())
        .merge(reports::router())
        .merge(attachments::router())
        .merge(stats::router())
        .merge(rivers::router())
        .merge(air::router())
        .merge(warnings::router())
        .merge(plans::router())
        .merge(intake::router())
        .merge(response::router())
        .merge(review::router())
        .merge(drills::router())
        .merge(standards::router())
        .merge(sta::router())
        .merge(stations::router())
        .merge(alarms::router())
        .merge(monitoring::router())
        .merge(self_checks::router())
        .merge(risk::router())
        .merge(coverage::router())
        .merge(events::router())
        .merge(audit::router())
        .merge(openapi::router())
        .merge(words::router())
        .merge(viewer::router())
}

/// The whole application.
pub fn app(state: AppState, config: &ServerConfig) -> Router {
    let timeout = config.request_timeout;
    routes()
        .into_router()
        .fallback(not_found)
        .layer(middleware::from_fn_with_state((state.clone(), config.max_body_bytes), idempotency::replay))
        .layer(middleware::from_fn_with_state(state.clone(), acting::authenticate))
        .layer(middleware::from_fn_with_state(state.clone(), metrics::record))
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn(limit_uri))
        .layer(middleware::from_fn(move |request, next| guard::guard(timeout, request, next)))
        .layer(middleware::from_fn(headers::secure))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn limit_uri(request: Request, next: Next) -> Response {
    let length = written_length(request.uri());
    if length > MAX_URI {
        return Problem::new(
            StatusCode::URI_TOO_LONG,
            "URI too long",
            format!("the request URI has {length} bytes; at most {MAX_URI}"),
        )
        .into_response();
    }
    next.run(request).await
}

/// The length of `uri` as written, counted without writing it anywhere.
fn written_length(uri: &Uri) -> usize {
    struct Count(usize);
    impl std::fmt::Write for Count {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = std::fmt::Write::write_fmt(&mut count, format_args!("{uri}"));
    count.0
}

async fn not_found(uri: Uri) -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "not found", format!("no resource at {}", uri.path()))
}

/// Serves `app` on `listener` until `shutdown` resolves, finishing requests in flight.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
