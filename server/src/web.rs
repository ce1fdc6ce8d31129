//! The HTTP side: router, application state and the serve loop with graceful shutdown.

use crate::config::Config;
use crate::feed::Feed;
use crate::projection::{self, Projection};
use crate::store::{self, Store};
use app::ssr::AppState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::trace::TraceLayer;

/// Name of the wasm/JS bundle under `pkg/` (`ioc.js`, `ioc_bg.wasm`).
pub const BUNDLE_NAME: &str = "ioc";

/// Everything the running server shares between requests.
#[derive(Clone)]
pub struct State {
    pub store: Store,
    pub app: AppState,
    pub feed: Feed,
    /// The Polars projection and its published KPI snapshots.
    pub projection: Projection,
    /// Cancelled when the server shuts down; ends SSE streams and background tasks.
    pub shutdown: CancellationToken,
    /// `IOC_INGEST_TOKEN`: the bearer token the ingest API requires (until users and roles land).
    pub ingest_token: Option<Arc<str>>,
    /// Login throttling and cookie settings of the auth layer.
    pub auth: crate::auth::Auth,
    /// The analyst console: the assistant (model loaded in the background) and `/api/ask`.
    pub console: crate::console::Console,
    /// Tasks: store, scope, audit and the live bus of `event: task`.
    pub tasks: crate::tasks::Tasks,
    /// CSV exports per user ([`EXPORTS_PER_MINUTE`]), whichever page they come from.
    pub exports: Arc<crate::rate::RateLimit>,
}

/// CSV exports a user may start per minute.
pub const EXPORTS_PER_MINUTE: usize = 10;

/// Opens the store, applies migrations, loads the analytical projection and builds the shared
/// state.
///
/// # Errors
/// Any store error (unreachable database, failed migration) or projection load failure.
pub async fn build_state(cfg: &Config) -> Result<State, projection::Error> {
    let store = Store::connect(&cfg.database_url).await?;
    store.migrate().await?;
    let leptos_options = LeptosOptions::builder()
        .output_name(BUNDLE_NAME)
        .site_root(cfg.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .build();
    let projection = Projection::load_with(
        &store,
        queries::alerts::AlertConfig {
            large_payment_dong: cfg.alert_large_payment_dong,
        },
    )
    .await?;
    // The model loads on a blocking thread: the dashboards serve at once.
    let console = crate::console::Console::new(store.clone(), projection.clone(), cfg.sql_budget);
    console.start_model(cfg.model_path.clone());
    let feed = Feed::new();
    let tasks = crate::tasks::Tasks::new(
        store.clone(),
        projection.clone(),
        feed.clone(),
        cfg.sql_budget,
    );
    let app = AppState {
        leptos_options,
        data: Arc::new(crate::dash::Data::new(store.clone(), projection.clone())),
        asker: Arc::new(console.clone()),
        audit: Arc::new(crate::auth::bridge::StoreAudit {
            store: store.clone(),
        }),
        tasks: Arc::new(tasks.clone()),
    };
    Ok(State {
        console,
        tasks,
        store,
        app,
        feed,
        projection,
        shutdown: CancellationToken::new(),
        ingest_token: cfg.ingest_token.clone().map(Arc::from),
        exports: Arc::new(crate::rate::RateLimit::new(
            EXPORTS_PER_MINUTE,
            std::time::Duration::from_secs(60),
        )),
        auth: crate::auth::Auth {
            secure_cookies: cfg.secure_cookies,
            ..crate::auth::Auth::default()
        },
    })
}

/// Serves `state` on `listener` until `token` is cancelled, then waits for open requests.
///
/// # Errors
/// An I/O error of the listener.
pub async fn run(
    listener: TcpListener,
    state: State,
    token: CancellationToken,
) -> std::io::Result<()> {
    let updater =
        state
            .projection
            .spawn_updater(state.store.clone(), &state.feed, state.shutdown.clone());
    let shutdown = state.shutdown.clone();
    let listener_task = match &state.store {
        Store::Postgres(pool) => Some(crate::feed::pg::spawn_listener(
            pool.clone(),
            state.feed.clone(),
            shutdown.clone(),
        )),
        Store::Sqlite(_) => None,
    };
    let router = router(state);
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        token.cancelled().await;
        // SSE streams never end by themselves: cut them so shutdown can complete.
        shutdown.cancel();
    })
    .await?;
    let _ = updater.await;
    if let Some(task) = listener_task {
        let _ = task.await;
    }
    Ok(())
}

/// The whole router: API routes, Leptos pages and server functions, static files.
pub fn router(state: State) -> Router {
    let options = state.app.leptos_options.clone();
    let routes = generate_route_list(app::App);
    let app_state = state.app.clone();
    let shell_options = options.clone();
    let api = Router::new()
        .route("/api/health", get(health))
        .route("/api/live", get(crate::live::stream))
        .route("/api/viec-qua-han.csv", get(crate::dash::csv))
        .merge(crate::ingest::routes(state.clone()))
        .merge(crate::auth::routes())
        .merge(crate::console::routes())
        .merge(crate::tasks::routes())
        .with_state(state.clone());
    // Every rendered page — the 404 page too, which shows the header — gets the same state.
    let context = move || provide_context(app_state.clone());
    let pages = Router::new()
        .leptos_routes_with_context(&options, routes, context.clone(), move || {
            app::shell(shell_options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(
            context,
            app::shell,
        ))
        .with_state(options);
    api.merge(pages)
        .layer(axum::middleware::from_fn_with_state(
            state,
            crate::auth::middleware,
        ))
        .layer(axum::middleware::map_response(security_headers))
        .layer(TraceLayer::new_for_http().make_span_with(make_span))
}

/// The Content-Security-Policy of every response: scripts, styles, data and forms from this
/// site only (the hydration script is inline, and wasm needs `wasm-unsafe-eval`); no framing
/// by other sites; no plugins.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
    script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; \
    base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// Security headers on every response (a handler's own value is kept).
async fn security_headers(mut resp: axum::response::Response) -> axum::response::Response {
    use axum::http::{header, HeaderValue};
    let headers = resp.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
    ] {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    resp
}

fn make_span(req: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let matched = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|m| m.as_str().to_owned());
    tracing::info_span!("http", method = %req.method(), uri = %req.uri(), matched_path = matched)
}

/// `GET /api/health`: 200 when the store can be read and written and the KPIs follow the
/// change log; 503 with `Retry-After` otherwise. The JSON body says which part fails and how
/// far the projection is behind (`lag`: logged change sets not yet applied).
async fn health(axum::extract::State(state): axum::extract::State<State>) -> Response {
    let wait = store::WAIT;
    let (head, probe) = tokio::join!(
        tokio::time::timeout(wait, crate::feed::head(&state.store)),
        tokio::time::timeout(wait, state.store.probe()),
    );
    let timed_out = || format!("không trả lời trong {} giây", wait.as_secs());
    let (head, read) = match head {
        Ok(Ok(head)) => (Some(head), None),
        Ok(Err(e)) => (None, Some(e.to_string())),
        Err(_) => (None, Some(timed_out())),
    };
    let write = match probe {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(_) => Some(timed_out()),
    };
    let applied = state.projection.latest().version;
    let feed = state.projection.health().borrow().clone();
    let lag = head.map(|head| u64::try_from(head).unwrap_or(0).saturating_sub(applied));
    let ok = read.is_none() && write.is_none() && !feed.stale;
    let body = serde_json::json!({
        "status": if ok { "ok" } else { "unavailable" },
        "store": { "read": read.as_deref().unwrap_or("ok"), "write": write.as_deref().unwrap_or("ok") },
        "feed": {
            "applied": applied,
            "lag": lag,
            "stale": feed.stale,
            "failing_since": feed.failing.as_ref().map(|(since, _)| since),
            "error": feed.failing.as_ref().map(|(_, why)| why),
        },
    });
    if ok {
        return (StatusCode::OK, axum::Json(body)).into_response();
    }
    tracing::warn!(%body, "health check failed");
    unavailable_response(axum::Json(body))
}

/// A 503 with `Retry-After` ([`store::RETRY_AFTER_S`]).
pub fn unavailable_response(body: impl IntoResponse) -> Response {
    let mut resp = (StatusCode::SERVICE_UNAVAILABLE, body).into_response();
    resp.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from(store::RETRY_AFTER_S),
    );
    resp
}
