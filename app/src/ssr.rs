//! Server-side context of the app: what server functions find through Leptos context.
//!
//! `server` builds an [`AppState`] at startup and provides it to every request.

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
    fn dashboard(&self) -> BoxFuture<'_, Result<Arc<crate::dash::Dashboard>, AppError>> {
        Box::pin(async { Err(AppError::Unavailable) })
    }

    /// One page of the overdue list (rows flagged by the overdue rules), already confined to
    /// the caller's scope by the server function.
    ///
    /// # Errors
    /// [`AppError::Unavailable`] when the list cannot be read.
    fn overdue(
        &self,
        _query: crate::wire::dash::OverdueQuery,
    ) -> BoxFuture<'_, Result<crate::wire::dash::OverdueList, AppError>> {
        Box::pin(async { Err(AppError::Unavailable) })
    }

    /// Every row of the overdue list for `query` (its page is ignored), at most `max_rows`:
    /// the CSV export.
    ///
    /// # Errors
    /// [`AppError::Unavailable`] when the list cannot be read.
    fn overdue_export(
        &self,
        _query: crate::wire::dash::OverdueQuery,
        _max_rows: usize,
    ) -> BoxFuture<'_, Result<Vec<crate::wire::dash::OverdueRow>, AppError>> {
        Box::pin(async { Err(AppError::Unavailable) })
    }

    /// The open cases of officer `can_bo_id` (oldest intake first): the total and one page of
    /// [`crate::wire::dash::OverdueQuery::PAGE_SIZE`] rows.
    ///
    /// # Errors
    /// [`AppError::Unavailable`] when the store cannot answer.
    fn officer_cases(
        &self,
        _can_bo_id: i64,
        _page: usize,
    ) -> BoxFuture<'_, Result<(usize, Vec<crate::wire::dash::CaseRow>), AppError>> {
        Box::pin(async { Err(AppError::Unavailable) })
    }

    /// A case with its timeline; `None` when there is no such case.
    ///
    /// # Errors
    /// [`AppError::Unavailable`] when the store cannot answer.
    fn case_detail(
        &self,
        _id: i64,
    ) -> BoxFuture<'_, Result<Option<crate::wire::dash::CaseDetail>, AppError>> {
        Box::pin(async { Err(AppError::Unavailable) })
    }
}

/// Everything a server function may use.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub data: Arc<dyn DataSource>,
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
