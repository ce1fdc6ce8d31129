//! The session cookie and the other credentials a request carries (bearer token, `?token=`).

use super::*;
use accounts::NewSession;
use axum::http::{header, HeaderMap};

/// The value of the session cookie, if the request has one.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, v)| *k == COOKIE && !v.is_empty())
        .map(|(_, v)| v.to_owned())
}

pub(super) fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

pub(super) fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

pub(super) fn secure(auth: &Auth, headers: &HeaderMap) -> bool {
    auth.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

pub(super) fn session_cookie_header(auth: &Auth, headers: &HeaderMap, s: &NewSession) -> String {
    let max_age = (s.expires_at - chrono::Utc::now()).num_seconds().max(0);
    format!(
        "{COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        s.id,
        if secure(auth, headers) {
            "; Secure"
        } else {
            ""
        }
    )
}

pub(super) fn clear_cookie_header(auth: &Auth, headers: &HeaderMap) -> String {
    format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        if secure(auth, headers) {
            "; Secure"
        } else {
            ""
        }
    )
}
