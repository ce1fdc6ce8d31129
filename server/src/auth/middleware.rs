//! The session middleware in front of every route: resolves the session cookie (or a kiosk
//! token) into a [`User`] and its [`Scope`], redirects anonymous page requests to the login
//! page, answers 401/403 (audited) for the rest.

use super::cookies::*;
use super::forms::*;
use super::*;
use crate::audit::{self, action, outcome, AuditEntry};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
pub use queries::access::{ClientAddr, SessionId};
use std::net::SocketAddr;

/// The session middleware (see the module doc). Layered over the whole router.
pub async fn middleware(
    State(state): State<crate::State>,
    mut req: Request,
    next: Next,
) -> Response {
    let addr = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    req.extensions_mut().insert(ClientAddr(addr.clone()));
    let path = req.uri().path().to_owned();
    let class = classify(&path);
    let method = req.method().clone();
    if class == Class::Static {
        return next.run(req).await;
    }
    let safe = matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    // A page of another site may make the browser send a GET (an image, a link) but never
    // needs an API's answer: browsers say where a request comes from. (Tools send no such
    // header.)
    let cross_site = req
        .headers()
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site");
    if class == Class::Api && cross_site {
        return forbidden(class, text_for(ForbiddenKind::Csrf));
    }
    if !safe && class != Class::Service {
        if let Err(why) = same_origin(req.headers()) {
            audit::record_or_log(
                &state.store,
                &AuditEntry::new(action::ACCESS_DENIED, outcome::DENIED)
                    .from(&addr)
                    .detail(serde_json::json!({
                        "method": method.as_str(),
                        "path": path.chars().take(MAX_LOGGED_PATH_CHARS).collect::<String>(),
                        "reason": why.chars().take(MAX_LOGGED_PATH_CHARS).collect::<String>(),
                    })),
            )
            .await;
            return forbidden(class, text_for(ForbiddenKind::Csrf));
        }
    }
    if matches!(class, Class::Service | Class::Public) {
        return next.run(req).await;
    }
    let kiosk_token = (class == Class::Page && safe)
        .then(|| query_param(req.uri().query(), "kiosk"))
        .flatten();
    let user = match (session_cookie(req.headers()), bearer(req.headers())) {
        (Some(id), _) => accounts::session_user(&state.store, &id).await,
        // Tools (the live benchmark, a wall display without cookies) may read the APIs with a
        // kiosk token as a bearer token: read-only national scope. A wrong token counts
        // toward the address's limit like a wrong password.
        (None, Some(token)) if class == Class::Api => {
            if let Err(locked) = state.auth.throttle.check_address(&addr) {
                return too_many(locked);
            }
            let found = accounts::kiosk_token_user(&state.store, &token).await;
            if matches!(found, Ok(None)) {
                state.auth.throttle.fail_address(&addr);
            }
            found.map(|found| found.map(|(_, user)| user))
        }
        _ => Ok(None),
    };
    let user = match user {
        Ok(u) => u,
        Err(e) => {
            tracing::warn!(error = %e, "session lookup: the store is unavailable");
            return crate::web::unavailable_response(
                "Cơ sở dữ liệu tạm thời không trả lời; vui lòng thử lại sau ít giây.",
            );
        }
    };
    // A kiosk link opens a wall-display session in a browser that has none; it never replaces
    // a signed-in session (a link from elsewhere must not sign the victim out).
    if let Some(token) = kiosk_token {
        return match user {
            None => kiosk_exchange(&state, &addr, req.uri(), &token, req.headers()).await,
            Some(_) => redirect(&without_param(req.uri(), "kiosk"), None),
        };
    }
    let Some(user) = user else {
        return anonymous(class, req.uri());
    };
    if let Err(denial) = authorize(&user, &method, &path, req.uri().query()) {
        return match denial {
            Denial::Redirect(to) => redirect(&to, None),
            Denial::Forbidden(reason) => {
                audit::record_or_log(
                    &state.store,
                    &AuditEntry::new(action::ACCESS_DENIED, outcome::DENIED)
                        .by(&user)
                        .from(&addr)
                        .detail(serde_json::json!({
                            "method": method.as_str(),
                            "path": path.chars().take(MAX_LOGGED_PATH_CHARS).collect::<String>(),
                            "query": req.uri().query().map(|q| q.chars().take(MAX_LOGGED_PATH_CHARS).collect::<String>()),
                            "reason": reason,
                        })),
                )
                .await;
                forbidden(class, text_for(ForbiddenKind::Role))
            }
        };
    }
    if let Some(id) = session_cookie(req.headers()) {
        req.extensions_mut().insert(SessionId(id));
    }
    req.extensions_mut().insert(user.scope.clone());
    req.extensions_mut().insert(user);
    next.run(req).await
}

/// `uri`'s path and query without the parameter `name`.
pub(super) fn without_param(uri: &axum::http::Uri, name: &str) -> String {
    let rest: Vec<(String, String)> = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .filter(|(k, _)| k != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut to = uri.path().to_owned();
    if !rest.is_empty() {
        to.push('?');
        to.push_str(
            &form_urlencoded::Serializer::new(String::new())
                .extend_pairs(rest)
                .finish(),
        );
    }
    to
}

/// 429 for a locked address, with when to retry.
pub(super) fn too_many(locked: throttle::Locked) -> Response {
    use app::text::auth::{LOGIN_LOCKED_IP_BEFORE, LOGIN_MINUTES};
    let message = format!(
        "{LOGIN_LOCKED_IP_BEFORE} {} {LOGIN_MINUTES}",
        locked.minutes()
    );
    let body = serde_json::json!({ "error": message }).to_string();
    (
        StatusCode::TOO_MANY_REQUESTS,
        [
            (
                header::CONTENT_TYPE,
                "application/json; charset=utf-8".to_owned(),
            ),
            (header::RETRY_AFTER, (locked.minutes() * 60).to_string()),
        ],
        body,
    )
        .into_response()
}

pub(super) fn anonymous(class: Class, uri: &axum::http::Uri) -> Response {
    if class == Class::Api {
        let body = serde_json::json!({"error": app::text::auth::ERR_UNAUTHORIZED}).to_string();
        return (
            StatusCode::UNAUTHORIZED,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            body,
        )
            .into_response();
    }
    let wanted = uri.path_and_query().map_or("/", |pq| pq.as_str());
    let to = match safe_next(Some(wanted)) {
        Some(next) if next != "/" => {
            let q = form_urlencoded::Serializer::new(String::new())
                .append_pair("next", &next)
                .finish();
            format!("{LOGIN_PATH}?{q}")
        }
        _ => LOGIN_PATH.to_owned(),
    };
    redirect(&to, None)
}

pub(super) enum ForbiddenKind {
    Csrf,
    Role,
}

pub(super) fn text_for(kind: ForbiddenKind) -> &'static str {
    match kind {
        ForbiddenKind::Csrf => app::text::auth::ERR_CSRF,
        ForbiddenKind::Role => app::text::auth::ERR_FORBIDDEN,
    }
}

pub(super) fn forbidden(class: Class, message: &str) -> Response {
    if class == Class::Api || class == Class::Service {
        let body = serde_json::json!({"error": message}).to_string();
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            body,
        )
            .into_response();
    }
    let html = format!(
        "<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\"/>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/pkg/style.css\"/></head>\
         <body><main class=\"auth-page\"><h1>{title}</h1><p>{message}</p>\
         <p><a href=\"/\">{back}</a></p></main></body></html>",
        title = app::text::auth::FORBIDDEN_HEADING,
        back = app::text::NOT_FOUND_BACK,
    );
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}
