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
