//! The auth forms: login, logout, change of password, and the wall display's kiosk token
//! exchange; after a login only a local `next` path is followed.

use super::cookies::*;
use super::middleware::*;
use super::*;
use crate::audit::{self, action, outcome, AuditEntry};
use app::nav::{self};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Form, Router};
pub use queries::access::ClientAddr;
use queries::access::User;
use serde::Deserialize;

/// The routes of the auth forms (the pages themselves are Leptos routes in `app`).
pub fn routes() -> Router<crate::State> {
    Router::new()
        .route(LOGIN_PATH, post(login))
        .route("/dang-xuat", post(logout))
        .route("/doi-mat-khau", post(change_password))
}

/// The login form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    pub login: String,
    pub password: String,
    #[serde(default)]
    pub next: Option<String>,
}

async fn login(
    State(state): State<crate::State>,
    Extension(ClientAddr(addr)): Extension<ClientAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let typed = accounts::normalize_login(&form.login);
    // A name or password no account can have is a failed attempt, and is never a key, never
    // looked up and never hashed.
    let plausible = typed.chars().count() <= throttle::MAX_LOGIN_CHARS
        && form.password.len() <= accounts::MAX_PASSWORD_BYTES;
    let shown: String = typed.chars().take(throttle::MAX_LOGIN_CHARS).collect();
    let entry = || {
        AuditEntry::new(action::LOGIN, outcome::OK)
            .actor(&shown)
            .from(&addr)
    };
    let attempt = match state
        .auth
        .throttle
        .begin(plausible.then_some(typed.as_str()), &addr)
        .await
    {
        Ok(attempt) => attempt,
        Err(locked) => {
            audit::record_or_log(
                &state.store,
                &AuditEntry {
                    outcome: outcome::LOCKED.into(),
                    ..entry()
                },
            )
            .await;
            let code = match locked {
                throttle::Locked::Account(_) => "khoa",
                throttle::Locked::Address(_) => "khoa_ip",
            };
            return redirect(
                &login_url(code, Some(locked.minutes()), next.as_deref()),
                None,
            );
        }
    };
    let account = if plausible {
        match accounts::find_account(&state.store, &typed).await {
            Ok(a) => a,
            Err(e) => {
                tracing::error!(error = %e, "login lookup");
                return redirect(&login_url("loi", None, next.as_deref()), None);
            }
        }
    } else {
        None
    };
    let hash = account
        .as_ref()
        .filter(|a| a.active == 1)
        .map(|a| a.password_hash.clone());
    let verified = plausible && accounts::verify_blocking(form.password, hash).await;
    let user = account.as_ref().and_then(|a| a.user()).filter(|_| verified);
    let Some(user) = user else {
        drop(attempt);
        audit::record_or_log(
            &state.store,
            &AuditEntry {
                user_id: account.as_ref().map(|a| a.id),
                outcome: outcome::FAILED.into(),
                ..entry()
            },
        )
        .await;
        return redirect(&login_url("sai", None, next.as_deref()), None);
    };
    attempt.succeeded(&state.auth.throttle);
    // Rotation: whatever session the browser presented is gone after a login.
    if let Some(old) = session_cookie(&headers) {
        if let Err(e) = accounts::delete_session(&state.store, &old).await {
            tracing::error!(error = %e, "deleting the pre-login session");
        }
    }
    let session = match accounts::create_session(&state.store, user.id, None).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "creating a session");
            return redirect(&login_url("loi", None, next.as_deref()), None);
        }
    };
    audit::record_or_log(
        &state.store,
        &AuditEntry::new(action::LOGIN, outcome::OK)
            .by(&user)
            .from(&addr),
    )
    .await;
    let to = next.unwrap_or_else(|| nav::home(&user));
    redirect(
        &to,
        Some(session_cookie_header(&state.auth, &headers, &session)),
    )
}

async fn logout(
    State(state): State<crate::State>,
    Extension(user): Extension<User>,
    Extension(ClientAddr(addr)): Extension<ClientAddr>,
    headers: HeaderMap,
) -> Response {
    if let Some(id) = session_cookie(&headers) {
        if let Err(e) = accounts::delete_session(&state.store, &id).await {
            tracing::error!(error = %e, "logout");
        }
    }
    audit::record_or_log(
        &state.store,
        &AuditEntry::new(action::LOGOUT, outcome::OK)
            .by(&user)
            .from(&addr),
    )
    .await;
    redirect(
        &format!("{LOGIN_PATH}?da_thoat=1"),
        Some(clear_cookie_header(&state.auth, &headers)),
    )
}

/// The change-password form.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    pub current: String,
    pub new: String,
    pub confirm: String,
}

async fn change_password(
    State(state): State<crate::State>,
    Extension(user): Extension<User>,
    Extension(ClientAddr(addr)): Extension<ClientAddr>,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Response {
    const PAGE: &str = "/doi-mat-khau";
    if !user.may_write() {
        return forbidden(Class::Page, text_for(ForbiddenKind::Role));
    }
    let entry = |o: &str| {
        AuditEntry::new(action::PASSWORD_CHANGE, o)
            .by(&user)
            .from(&addr)
    };
    let attempt = match state.auth.throttle.begin(Some(&user.login), &addr).await {
        Ok(attempt) => attempt,
        Err(locked) => {
            audit::record_or_log(&state.store, &entry(outcome::LOCKED)).await;
            return redirect(&format!("{PAGE}?loi=khoa&phut={}", locked.minutes()), None);
        }
    };
    let account = match accounts::find_account(&state.store, &user.login).await {
        Ok(Some(a)) => a,
        Ok(None) | Err(_) => return redirect(&format!("{PAGE}?loi=loi"), None),
    };
    let too_long = [&form.current, &form.new, &form.confirm]
        .iter()
        .any(|p| p.len() > accounts::MAX_PASSWORD_BYTES);
    if too_long
        || !accounts::verify_blocking(form.current.clone(), Some(account.password_hash)).await
    {
        drop(attempt);
        audit::record_or_log(&state.store, &entry(outcome::FAILED)).await;
        return redirect(&format!("{PAGE}?loi=sai"), None);
    }
    attempt.succeeded(&state.auth.throttle);
    let problem = if form.new != form.confirm {
        Some("khop")
    } else if form.new == form.current {
        Some("trung")
    } else if accounts::check_new_password(&form.new).is_err() {
        Some("ngan")
    } else {
        None
    };
    if let Some(code) = problem {
        audit::record_or_log(&state.store, &entry(outcome::FAILED)).await;
        return redirect(&format!("{PAGE}?loi={code}"), None);
    }
    // Ends every session of the account, this one included; a new one continues here.
    if let Err(e) = accounts::set_password(&state.store, user.id, &form.new).await {
        tracing::error!(error = %e, "changing a password");
        return redirect(&format!("{PAGE}?loi=loi"), None);
    }
    let session = match accounts::create_session(&state.store, user.id, None).await {
        Ok(s) => s,
        Err(_) => return redirect(LOGIN_PATH, Some(clear_cookie_header(&state.auth, &headers))),
    };
    audit::record_or_log(&state.store, &entry(outcome::OK)).await;
    redirect(
        &format!("{PAGE}?ok=1"),
        Some(session_cookie_header(&state.auth, &headers, &session)),
    )
}

pub(super) async fn kiosk_exchange(
    state: &crate::State,
    addr: &str,
    uri: &axum::http::Uri,
    token: &str,
    headers: &HeaderMap,
) -> Response {
    const WHO: &str = "kiosk";
    let entry = |o: &str| AuditEntry::new(action::KIOSK_OPEN, o).actor(WHO).from(addr);
    if let Err(locked) = state.auth.throttle.check_address(addr) {
        audit::record_or_log(&state.store, &entry(outcome::LOCKED)).await;
        return redirect(&login_url("khoa_ip", Some(locked.minutes()), None), None);
    }
    let found = match accounts::kiosk_token_user(&state.store, token).await {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(error = %e, "kiosk token lookup");
            return (StatusCode::SERVICE_UNAVAILABLE, "store unavailable").into_response();
        }
    };
    let Some((token_id, user)) = found else {
        // Counted against the address only: "kiosk" is not an account to lock.
        state.auth.throttle.fail_address(addr);
        audit::record_or_log(&state.store, &entry(outcome::FAILED)).await;
        return redirect(&login_url("kiosk", None, None), None);
    };
    if let Some(old) = session_cookie(headers) {
        let _ = accounts::delete_session(&state.store, &old).await;
    }
    let session = match accounts::create_session(&state.store, user.id, Some(token_id)).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "kiosk session");
            return (StatusCode::SERVICE_UNAVAILABLE, "store unavailable").into_response();
        }
    };
    audit::record_or_log(
        &state.store,
        &AuditEntry::new(action::KIOSK_OPEN, outcome::OK)
            .by(&user)
            .from(addr)
            .detail(serde_json::json!({"token_id": token_id})),
    )
    .await;
    // The same page without the token in the address bar.
    redirect(
        &without_param(uri, "kiosk"),
        Some(session_cookie_header(&state.auth, headers, &session)),
    )
}

/// A local path to return to after login, or `None` for anything that could leave the site.
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let next = next?.trim();
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control)
        && !next.starts_with(LOGIN_PATH);
    local.then(|| next.to_owned())
}

pub(super) fn login_url(code: &str, minutes: Option<u64>, next: Option<&str>) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("loi", code);
    if let Some(m) = minutes {
        q.append_pair("phut", &m.to_string());
    }
    if let Some(n) = next {
        q.append_pair("next", n);
    }
    format!("{LOGIN_PATH}?{}", q.finish())
}

/// A 303 to `to`, setting `cookie` if given.
pub(super) fn redirect(to: &str, cookie: Option<String>) -> Response {
    let mut resp = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    if let Some(c) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        resp.headers_mut().insert(header::SET_COOKIE, c);
    }
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}
