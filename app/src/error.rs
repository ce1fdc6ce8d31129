//! The one error type that faces the user.

use crate::text;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// What a user is told when something fails; the detailed cause is logged where it happens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The request itself is wrong; the text says how.
    #[error("{0}")]
    Invalid(String),
    /// Nobody is signed in, or the session ended (HTTP 401).
    #[error("{}", text::auth::ERR_UNAUTHORIZED)]
    Unauthorized,
    /// The caller's scope does not cover what was asked; the text says what (HTTP 403).
    #[error("{0}")]
    Forbidden(String),
    /// No such province, office, officer or case (HTTP 404).
    #[error("{}", text::ERR_NOT_FOUND)]
    NotFound,
    /// Too many requests of this kind from the caller; the text says when to retry (HTTP 429).
    #[error("{0}")]
    RateLimited(String),
    /// The store cannot be reached.
    #[error("{}", text::ERR_UNAVAILABLE)]
    Unavailable,
    /// Anything else.
    #[error("{}", text::ERR_INTERNAL)]
    Internal,
}

impl AppError {
    /// The HTTP status for this error, used by SSR pages and API routes alike.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Invalid(_) => 400,
            AppError::Unauthorized => 401,
            AppError::Forbidden(_) => 403,
            AppError::NotFound => 404,
            AppError::RateLimited(_) => 429,
            AppError::Unavailable => 503,
            AppError::Internal => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(_: ServerFnErrorErr) -> Self {
        AppError::Internal
    }
}
