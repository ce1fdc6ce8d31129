//! The analyst console's server side as the app sees it: the [`Asker`] the `server` crate
//! implements (the model, the pipeline, the guard and the audit log live there), provided to
//! every request in [`crate::ssr::AppState`]. Compiled with `ssr` only.

use crate::error::AppError;
use crate::ssr::BoxFuture;
use crate::wire::ask::AskReply;
use leptos::prelude::*;
use std::sync::Arc;

/// Who is asking: the session's user and scope, the client address (for the audit log; empty
/// when unknown).
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: queries::access::User,
    pub scope: queries::Scope,
    pub address: String,
    /// A province the page or request narrows to (`?tinh=`); the server accepts it only
    /// within the session's scope.
    pub province: Option<String>,
    /// The session id ([`queries::access::SessionId`]; empty for a Bearer token).
    pub session: String,
}

/// The token that confirms the caller clicked to run `sql`: SQL in a link (`/hoi-dap?sql=…`)
/// runs only with the token of the session that asked for it, so a link from elsewhere cannot
/// run SQL in a victim's name. Only the server knows the session id (an HttpOnly cookie).
pub fn run_token(session: &str, sql: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"thads-ioc run-sql\n");
    h.update(session.as_bytes());
    h.update(b"\n");
    h.update(sql.trim().as_bytes());
    hex::encode(&h.finalize()[..16])
}

/// Questions and edited SQL, answered in the caller's scope and audited.
pub trait Asker: Send + Sync + 'static {
    /// Answers `question` (a follow-up of `previous` when given), without streaming.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for empty/too long input or a busy system, [`AppError::Forbidden`]
    /// for the wall display.
    fn ask(
        &self,
        caller: Caller,
        question: String,
        previous: Option<String>,
    ) -> BoxFuture<'_, Result<AskReply, AppError>>;

    /// Runs SQL the analyst edited, through the guard, in the caller's scope. A refused
    /// statement is an answer of kind `refuse` with the guard's reason.
    ///
    /// # Errors
    /// As [`Asker::ask`].
    fn run_sql(
        &self,
        caller: Caller,
        sql: String,
        question: Option<String>,
    ) -> BoxFuture<'_, Result<AskReply, AppError>>;
}

/// The caller of the current request, from the auth middleware's extensions.
///
/// # Errors
/// [`AppError::Unauthorized`] without a session, [`AppError::Internal`] outside a request.
pub fn caller(province: Option<String>) -> Result<Caller, AppError> {
    let parts = use_context::<http::request::Parts>().ok_or(AppError::Internal)?;
    let user = parts
        .extensions
        .get::<queries::access::User>()
        .cloned()
        .ok_or(AppError::Unauthorized)?;
    let scope = parts
        .extensions
        .get::<queries::Scope>()
        .cloned()
        .ok_or(AppError::Unauthorized)?;
    let address = parts
        .extensions
        .get::<queries::access::ClientAddr>()
        .map(|a| a.0.clone())
        .unwrap_or_default();
    let session = parts
        .extensions
        .get::<queries::access::SessionId>()
        .map(|s| s.0.clone())
        .unwrap_or_default();
    Ok(Caller {
        user,
        scope,
        address,
        province: province.filter(|p| !p.trim().is_empty()),
        session,
    })
}

/// The [`Asker`] of the current request.
///
/// # Errors
/// [`AppError::Internal`] when the server did not provide it.
pub fn asker() -> Result<Arc<dyn Asker>, AppError> {
    Ok(crate::ssr::app_state()?.asker)
}
