//! The signed-in user on the app side: who is asking ([`ssr::current_user`]), what the account
//! menu shows ([`Me`], [`who_am_i`]), and the audit log page's data ([`audit_entries`]).
//!
//! The `server` crate's auth middleware puts a `queries::access::User` and its
//! `queries::Scope` into every request's extensions; server functions read them from the
//! request parts in the Leptos context. The login, logout and change-password forms post to
//! plain axum handlers in `server::auth` (they set cookies), so they work without JavaScript.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the account menu shows about the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub login: String,
    pub display_name: String,
    /// `queries::access::Role` code.
    pub role: String,
    /// National leadership: the audit log link.
    pub leadership: bool,
    /// The wall display (read only, no menu).
    pub kiosk: bool,
    /// The header's links ([`crate::nav::links`]).
    pub links: Vec<crate::nav::NavLink>,
    /// Every section this user may open ([`crate::nav::may_open`]): a breadcrumb to another
    /// section is a link only when it is here.
    pub sections: Vec<crate::nav::Section>,
    /// Open tasks of the units in the user's scope, and how many of them are overdue.
    pub tasks_open: u64,
    pub tasks_overdue: u64,
}

/// The signed-in caller, or `None` on pages open to anonymous visitors (the login page).
///
/// # Errors
/// Never in practice; the signature is the server function's.
#[server]
pub async fn who_am_i() -> Result<Option<Me>, AppError> {
    let Some(u) = ssr::user() else {
        return Ok(None);
    };
    // The badge is a hint: a store that cannot answer leaves it at zero, not the page broken.
    let dashboard = match crate::ssr::app_state() {
        Ok(state) => state.data.dashboard().await.ok(),
        Err(_) => None,
    };
    let (tasks_open, tasks_overdue) =
        dashboard.map_or((0, 0), |d| crate::dash::tasks_in_scope(&d, &u.scope));
    Ok(Some(Me {
        leadership: u.is_leadership(),
        kiosk: !u.may_write(),
        links: crate::nav::links(&u),
        sections: crate::nav::Section::ALL
            .into_iter()
            .filter(|s| crate::nav::may_open(&u, *s))
            .collect(),
        tasks_open,
        tasks_overdue,
        login: u.login,
        display_name: u.display_name,
        role: u.role.code().to_owned(),
    }))
}

/// Filters of the audit log page, as in its query string (`hanh_dong`, `tai_khoan`, `ket_qua`,
/// `tu`, `den` as yyyy-mm-dd, `trang` from 1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    pub action: Option<String>,
    pub actor: Option<String>,
    pub outcome: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// 1-based.
    pub page: u32,
}

impl AuditQuery {
    /// Entries per page.
    pub const PAGE_SIZE: u32 = 50;

    /// Reads the filters from a query map (empty values are no filter).
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> AuditQuery {
        let text = |k: &str| {
            get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        AuditQuery {
            action: text("hanh_dong"),
            actor: text("tai_khoan"),
            outcome: text("ket_qua"),
            // Typed as dd/mm/yyyy; a date that cannot be read is kept for the server to refuse.
            from: text("tu").map(|v| crate::text::parse_date(&v).unwrap_or(v)),
            to: text("den").map(|v| crate::text::parse_date(&v).unwrap_or(v)),
            page: text("trang")
                .and_then(|p| p.parse().ok())
                .unwrap_or(1)
                .max(1),
        }
    }

    /// The query string of these filters at `page` (for pagination links).
    pub fn href(&self, page: u32) -> String {
        let mut parts = Vec::new();
        let mut push = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                parts.push(format!("{k}={}", encode(v)));
            }
        };
        push("hanh_dong", &self.action);
        push("tai_khoan", &self.actor);
        push("ket_qua", &self.outcome);
        push("tu", &self.from);
        push("den", &self.to);
        if page > 1 {
            parts.push(format!("trang={page}"));
        }
        if parts.is_empty() {
            "/nhat-ky".to_owned()
        } else {
            format!("/nhat-ky?{}", parts.join("&"))
        }
    }
}

/// Percent-encodes a query value (everything but unreserved ASCII).
fn encode(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One audit entry as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditItem {
    pub id: String,
    /// RFC 3339 UTC.
    pub at: String,
    pub actor: String,
    pub address: String,
    pub action: String,
    pub outcome: String,
    /// JSON text (may be empty).
    pub detail: String,
}

/// One page of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub items: Vec<AuditItem>,
    pub total: i64,
    pub page: u32,
    pub page_size: u32,
    /// Action codes offered in the filter.
    pub actions: Vec<String>,
    /// Outcome codes offered in the filter.
    pub outcomes: Vec<String>,
}

/// One page of the audit log, for national leadership only.
///
/// # Errors
/// [`AppError::Unauthorized`] / [`AppError::Forbidden`] for anyone else;
/// [`AppError::Invalid`] for a malformed date; [`AppError::Unavailable`] when the store fails.
#[server]
pub async fn audit_entries(query: AuditQuery) -> Result<AuditPage, AppError> {
    let user = ssr::current_user().map_err(crate::ssr::with_status)?;
    if !user.is_leadership() {
        return Err(crate::ssr::with_status(AppError::Forbidden(
            crate::text::auth::ERR_FORBIDDEN.to_owned(),
        )));
    }
    crate::ssr::app_state()
        .map_err(crate::ssr::with_status)?
        .audit
        .audit_page(query)
        .await
        .map_err(crate::ssr::with_status)
}

/// Server-side helpers: the caller, and the audit source the `server` crate provides.
#[cfg(feature = "ssr")]
pub mod ssr {
    use super::{AuditPage, AuditQuery};
    use crate::error::AppError;
    use crate::ssr::BoxFuture;
    use leptos::prelude::*;
    use queries::access::User;

    /// The signed-in user of the current request, if any.
    pub fn user() -> Option<User> {
        use_context::<http::request::Parts>()?
            .extensions
            .get::<User>()
            .cloned()
    }

    /// The signed-in user of the current request. The auth middleware answers 401 before an
    /// anonymous request reaches a server function, so a missing user is a wiring error.
    ///
    /// # Errors
    /// [`AppError::Unauthorized`] when there is none.
    pub fn current_user() -> Result<User, AppError> {
        user().ok_or(AppError::Unauthorized)
    }

    /// The signed-in user, who must be allowed to change data (not the wall display). Call it
    /// first in every server function that writes.
    ///
    /// # Errors
    /// [`AppError::Unauthorized`], or [`AppError::Forbidden`] for the wall display.
    pub fn current_writer() -> Result<User, AppError> {
        let user = current_user()?;
        if user.may_write() {
            Ok(user)
        } else {
            Err(AppError::Forbidden(
                crate::text::auth::ERR_READ_ONLY.to_owned(),
            ))
        }
    }

    /// What the audit page and app-side callers need from the server's audit log.
    pub trait AuditSource: Send + Sync + 'static {
        /// One page of entries matching `query`, newest first.
        ///
        /// # Errors
        /// [`AppError::Invalid`] for a bad filter, [`AppError::Unavailable`] on a store error.
        fn audit_page(&self, query: AuditQuery) -> BoxFuture<'_, Result<AuditPage, AppError>>;

        /// Appends an entry by `user` (errors are logged, not returned: the action goes on).
        fn record(
            &self,
            user: &User,
            action: &str,
            outcome: &str,
            detail: String,
        ) -> BoxFuture<'_, ()>;
    }

    /// When the current user signed in before this session, microseconds since the Unix
    /// epoch: the second newest successful login in the audit log (entry ids start with the
    /// time). `None` for a first visit or when the log cannot be read.
    pub async fn previous_visit_us() -> Option<i64> {
        let (state, user) = (crate::ssr::app_state().ok()?, user()?);
        let logins = state
            .audit
            .audit_page(AuditQuery {
                action: Some("login".into()),
                actor: Some(user.login),
                outcome: Some("ok".into()),
                page: 1,
                ..AuditQuery::default()
            })
            .await
            .ok()?;
        logins.items.get(1)?.id.get(..16)?.parse().ok()
    }

    /// Appends an audit entry for the current user from a server function (exports, task
    /// actions, questions). Does nothing outside a request.
    /// `detail` is JSON text (or empty).
    pub async fn audit(action: &str, outcome: &str, detail: String) {
        let (Ok(state), Some(user)) = (crate::ssr::app_state(), user()) else {
            tracing::warn!(action, "audit outside a signed-in request");
            return;
        };
        state.audit.record(&user, action, outcome, detail).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_filters_round_trip_through_the_query_string() {
        let q = AuditQuery::from_params(|k| match k {
            "hanh_dong" => Some("login".into()),
            "tai_khoan" => Some(" truongtinh.hn ".into()),
            "tu" => Some("".into()),
            "trang" => Some("3".into()),
            _ => None,
        });
        assert_eq!(q.action.as_deref(), Some("login"));
        assert_eq!(q.actor.as_deref(), Some("truongtinh.hn"));
        assert_eq!(q.from, None);
        assert_eq!(q.page, 3);
        assert_eq!(
            q.href(4),
            "/nhat-ky?hanh_dong=login&tai_khoan=truongtinh.hn&trang=4"
        );
        assert_eq!(AuditQuery::default().href(1), "/nhat-ky");
        assert_eq!(AuditQuery::from_params(|_| Some("0".into())).page, 1);
        let odd = AuditQuery {
            actor: Some("a b&c".into()),
            ..AuditQuery::default()
        };
        assert_eq!(odd.href(1), "/nhat-ky?tai_khoan=a%20b%26c");
    }
}
