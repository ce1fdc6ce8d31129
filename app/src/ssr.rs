//! Server-side context of the app: what server functions find through Leptos context.
//!
//! `server` builds one [`AppState`] at startup and provides it to every request.

use crate::error::AppError;
use crate::wire::NationalTotals;
use leptos::prelude::*;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A boxed future returned by [`DataSource`] methods.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the app needs from the system of record. Implemented by `server` over its store.
pub trait DataSource: Send + Sync + 'static {
    /// Headline national counts.
    ///
    /// # Errors
    /// [`AppError::Unavailable`] when the store cannot answer.
    fn national_totals(&self) -> BoxFuture<'_, Result<NationalTotals, AppError>>;

    /// The figures of the latest published KPI snapshot, for the dashboards (built once per
    /// snapshot version by the server, so a page read never scans tables).
    ///
    /// # Errors
    /// [`AppError::Unavailable`] while no snapshot can be read.
    fn dashboard(&self) -> BoxFuture<'_, Result<Arc<crate::dash::Dashboard>, AppError>>;

    /// One page of the overdue list (rows flagged by the overdue rules), already confined to
    /// the caller's scope by the server function.
    ///
    /// # Errors
    /// [`AppError::Unavailable`] when the list cannot be read.
    fn overdue(
        &self,
        query: crate::wire::dash::OverdueQuery,
    ) -> BoxFuture<'_, Result<crate::wire::dash::OverdueList, AppError>>;

    /// Every row of the overdue list for `query` (its page is ignored), at most `max_rows`:
    /// the CSV export.
    ///
    /// # Errors
    /// [`AppError::Unavailable`] when the list cannot be read.
    fn overdue_export(
        &self,
        query: crate::wire::dash::OverdueQuery,
        max_rows: usize,
    ) -> BoxFuture<'_, Result<Vec<crate::wire::dash::OverdueRow>, AppError>>;

    /// The open cases of officer `can_bo_id` (oldest intake first): the total and one page of
    /// [`crate::wire::dash::OverdueQuery::PAGE_SIZE`] rows.
    ///
    /// # Errors
    /// [`AppError::Unavailable`] when the store cannot answer.
    fn officer_cases(
        &self,
        can_bo_id: i64,
        page: usize,
    ) -> BoxFuture<'_, Result<(usize, Vec<crate::wire::dash::CaseRow>), AppError>>;

    /// A case with its timeline; `None` when there is no such case.
    ///
    /// # Errors
    /// [`AppError::Unavailable`] when the store cannot answer.
    fn case_detail(
        &self,
        id: i64,
    ) -> BoxFuture<'_, Result<Option<crate::wire::dash::CaseDetail>, AppError>>;
}

/// Everything a server function may use: the server's four ports, built once at startup.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    /// Dashboards, drill-down, overdue list and case pages.
    pub data: Arc<dyn DataSource>,
    /// The analyst console.
    pub asker: Arc<dyn crate::console::Asker>,
    /// The audit log.
    pub audit: Arc<dyn crate::auth::ssr::AuditSource>,
    /// Tasks.
    pub tasks: Arc<dyn crate::pages::tasks::TaskService>,
}

/// The [`AppState`] of the current request.
///
/// # Errors
/// [`AppError::Internal`] if the server did not provide it (a wiring bug, logged).
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the Leptos context");
        AppError::Internal
    })
}

/// The caller's access scope, which the auth middleware (`server::auth`) inserts into every
/// signed-in request's extensions. Anonymous requests never get here (login redirect or 401),
/// so a missing scope is refused, never widened.
///
/// # Errors
/// [`AppError::Internal`] outside a request (a wiring bug, logged); [`AppError::Unauthorized`]
/// for a request without a scope.
pub async fn current_scope() -> Result<queries::Scope, AppError> {
    let parts = use_context::<http::request::Parts>().ok_or_else(|| {
        tracing::error!("request parts missing from the Leptos context");
        AppError::Internal
    })?;
    parts
        .extensions
        .get::<queries::Scope>()
        .cloned()
        .ok_or(AppError::Unauthorized)
}

/// Sets the HTTP status of the page being rendered (or of the server function's response) to
/// the error's, and returns the error.
pub fn with_status(e: AppError) -> AppError {
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(code) = http::StatusCode::from_u16(e.status()) {
            res.set_status(code);
        }
    }
    e
}
