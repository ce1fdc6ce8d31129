//! Users, roles and scope on the HTTP side: the session middleware in front of every route,
//! login / logout / change-password form handlers, the kiosk token exchange of the wall
//! display, CSRF (origin) checks and login throttling.
//!
//! - [`middleware`] resolves the session cookie into a [`User`] and its [`Scope`], inserted in
//!   the request extensions for every page, API route and server function (Leptos server
//!   functions find them in `http::request::Parts`). Anonymous page requests are redirected to
//!   `/dang-nhap?next=…`; anonymous API calls get 401. Role and path rules (audit log for
//!   leadership only, `/tinh/<ma>` and `?ma_tinh=` within the caller's province, the wall
//!   display confined to `/man-hinh`) answer 403 and are audited.
//! - Every state-changing request (any method but GET/HEAD/OPTIONS) must carry an `Origin` (or
//!   `Referer`) whose host is the request's `Host`; the bearer-token ingest API is exempt.
//! - [`accounts`]: argon2 hashes, sessions and kiosk tokens in the store.
//! - [`throttle`]: failed logins per account and per address.
//! - [`demo`]: the demo accounts `ioc seed` creates.
//!
//! Sessions: a random 256-bit id in an `HttpOnly; SameSite=Lax` cookie (`Secure` when
//! `IOC_SECURE_COOKIES` is set or the request came through HTTPS per `X-Forwarded-Proto`),
//! stored as its SHA-256 with an absolute expiry; a login always creates a new session and
//! deletes the one presented (no fixation); logout and password changes delete sessions.

pub mod accounts;
pub mod bridge;
pub mod cli;
pub mod demo;
pub mod throttle;

use crate::audit::{self, action, outcome, AuditEntry};
use accounts::NewSession;
use app::nav::{self, Section};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Form, Router};
use queries::access::User;
pub use queries::access::{ClientAddr, SessionId};
use queries::Scope;
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;

/// Name of the session cookie.
pub const COOKIE: &str = "ioc_sid";
/// The login page.
pub const LOGIN_PATH: &str = "/dang-nhap";
/// The wall display page, the only page a kiosk session opens.
pub const WALL_PATH: &str = "/man-hinh";

/// Where the built files are served (`target/site/pkg`); nothing else is static.
pub const ASSET_PREFIX: &str = "/pkg/";

/// The longest part of a refused request's path or query kept in the audit log.
const MAX_LOGGED_PATH_CHARS: usize = 256;

/// The auth layer's share of the server state.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    pub throttle: Arc<throttle::Throttle>,
    /// `IOC_SECURE_COOKIES`: always mark the session cookie `Secure`.
    pub secure_cookies: bool,
}

/// How the middleware treats a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Built files under [`ASSET_PREFIX`] (the wasm bundle, stylesheets): no session needed.
    Static,
    /// Machine endpoints with their own credentials or none (`/api/health`, `/api/events`).
    Service,
    /// The login page: no session, but its POST is origin-checked.
    Public,
    /// JSON APIs and server functions under `/api/`: 401 when anonymous.
    Api,
    /// Pages: a redirect to the login page when anonymous.
    Page,
}

/// Classifies a request path.
pub fn classify(path: &str) -> Class {
    if path == "/api/health" || path == "/api/events" || path == "/api/events/schema" {
        return Class::Service;
    }
    if path.starts_with("/api/") || path == "/api" {
        return Class::Api;
    }
    if path == LOGIN_PATH {
        return Class::Public;
    }
    // Only the asset prefix: a page path with a dot in it (`/tinh/79.json`) is still a page.
    if path.starts_with(ASSET_PREFIX) {
        return Class::Static;
    }
    Class::Page
}

/// Why a signed-in request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// 403 with a reason for the log.
    Forbidden(String),
    /// Send the caller elsewhere (the wall display to its page, `/` to the role's home).
    Redirect(String),
}

/// The role and path rules applied to every signed-in request.
///
/// # Errors
/// The [`Denial`].
pub fn authorize(
    user: &User,
    method: &Method,
    path: &str,
    query: Option<&str>,
) -> Result<(), Denial> {
    let class = classify(path);
    let kiosk = !user.may_write();
    if kiosk {
        match class {
            Class::Page if path == "/dang-xuat" => {}
            Class::Page
                if (method == Method::GET || method == Method::HEAD)
                    && path != WALL_PATH
                    && !path.starts_with("/man-hinh/") =>
            {
                return Err(Denial::Redirect(WALL_PATH.to_owned()));
            }
            Class::Page if method == Method::GET || method == Method::HEAD => {}
            Class::Page => {
                return Err(Denial::Forbidden("wall display is read-only".into()));
            }
            // The wall reads the live stream and its own server functions; server functions
            // that change data check `User::may_write` themselves.
            _ => {}
        }
    }
    if class == Class::Page {
        match Section::of_path(path) {
            Some(Section::Home) if method == Method::GET || method == Method::HEAD => {
                let home = nav::home(user);
                if home != "/" {
                    return Err(Denial::Redirect(home));
                }
            }
            Some(section) if !nav::may_open(user, section) => {
                return Err(Denial::Forbidden(format!("{section:?}: not for this role")));
            }
            _ => {}
        }
    }
    if let Some(rest) = path.strip_prefix("/tinh/") {
        let code = rest.split('/').next().unwrap_or("");
        if !user.scope.may_see_province(code) {
            return Err(Denial::Forbidden(format!("province {code} out of scope")));
        }
    }
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if (k == "ma_tinh" || k == "tinh") && !v.is_empty() && !user.scope.may_see_province(&v) {
            return Err(Denial::Forbidden(format!("{k}={v} out of scope")));
        }
    }
    Ok(())
}

/// Decides the scope of a `/api/live` stream: the session's, narrowed by the `scope` parameter
/// (`country`, `province:<ma_tinh>`) when the caller may see what it names — a national user
/// picking a province. A parameter wider than the session (a province asking for the country or
/// another province) is 403; a provincial, office or officer session naming its own province
/// keeps its own, narrower scope.
///
/// # Errors
/// 400 for a malformed parameter, 403 for one outside the caller's scope.
pub fn live_scope(session: &Scope, requested: Option<&str>) -> Result<Scope, (StatusCode, String)> {
    let Some(requested) = requested.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(session.clone());
    };
    let wanted = match requested {
        "country" | "national" | "central" | "kiosk" => None,
        other => match other.strip_prefix("province:") {
            Some(code) if queries::org::province(code).is_some() => Some(code.to_owned()),
            _ => {
                return Err((
                    StatusCode::BAD_REQUEST,
                    format!(
                        "Phạm vi không hợp lệ: {other:?} (dùng country hoặc province:<mã tỉnh>)"
                    ),
                ))
            }
        },
    };
    let denied = || {
        (
            StatusCode::FORBIDDEN,
            app::text::auth::ERR_FORBIDDEN.to_owned(),
        )
    };
    match wanted {
        None if session.is_national() => Ok(session.clone()),
        None => Err(denied()),
        Some(code) if session.is_national() => Ok(Scope::Province { ma_tinh: code }),
        Some(code) if session.may_see_province(&code) => Ok(session.clone()),
        Some(_) => Err(denied()),
    }
}

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

async fn kiosk_exchange(
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

/// `uri`'s path and query without the parameter `name`.
fn without_param(uri: &axum::http::Uri, name: &str) -> String {
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
fn too_many(locked: throttle::Locked) -> Response {
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

fn login_url(code: &str, minutes: Option<u64>, next: Option<&str>) -> String {
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

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn secure(auth: &Auth, headers: &HeaderMap) -> bool {
    auth.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

fn session_cookie_header(auth: &Auth, headers: &HeaderMap, s: &NewSession) -> String {
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

fn clear_cookie_header(auth: &Auth, headers: &HeaderMap) -> String {
    format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        if secure(auth, headers) {
            "; Secure"
        } else {
            ""
        }
    )
}

/// A 303 to `to`, setting `cookie` if given.
fn redirect(to: &str, cookie: Option<String>) -> Response {
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

/// Checks that a state-changing request comes from this site: the host of `Origin` (else of
/// `Referer`) equals `Host`.
///
/// # Errors
/// Why not, for the audit log.
pub fn same_origin(headers: &HeaderMap) -> Result<(), String> {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .ok_or("no Host header")?;
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok())
        .ok_or("no Origin or Referer header")?;
    let authority = source
        .split_once("://")
        .map(|(_, rest)| rest.split('/').next().unwrap_or(""))
        .ok_or_else(|| format!("unusable origin {source:?}"))?;
    if authority.eq_ignore_ascii_case(host) {
        Ok(())
    } else {
        Err(format!("origin {source:?} is not host {host:?}"))
    }
}

fn anonymous(class: Class, uri: &axum::http::Uri) -> Response {
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

enum ForbiddenKind {
    Csrf,
    Role,
}

fn text_for(kind: ForbiddenKind) -> &'static str {
    match kind {
        ForbiddenKind::Csrf => app::text::auth::ERR_CSRF,
        ForbiddenKind::Role => app::text::auth::ERR_FORBIDDEN,
    }
}

fn forbidden(class: Class, message: &str) -> Response {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: queries::access::Role, scope: Scope) -> User {
        User::sample(role, scope)
    }

    #[test]
    fn paths_are_classified() {
        assert_eq!(classify("/pkg/ioc.js"), Class::Static);
        assert_eq!(classify("/pkg/style.css"), Class::Static);
        // A dot outside the asset prefix does not make a page static.
        assert_eq!(classify("/tinh/79.json"), Class::Page);
        assert_eq!(classify("/style.css"), Class::Page);
        assert_eq!(classify("/api/health"), Class::Service);
        assert_eq!(classify("/api/events"), Class::Service);
        assert_eq!(classify("/api/live"), Class::Api);
        assert_eq!(classify("/api/national_totals123"), Class::Api);
        assert_eq!(classify("/dang-nhap"), Class::Public);
        assert_eq!(classify("/"), Class::Page);
        assert_eq!(classify("/tinh/01"), Class::Page);
    }

    #[test]
    fn provinces_are_confined() {
        use queries::access::Role;
        let hn = user(
            Role::TruongTinh,
            Scope::Province {
                ma_tinh: "01".into(),
            },
        );
        let get = Method::GET;
        assert!(authorize(&hn, &get, "/tinh/01", None).is_ok());
        assert!(authorize(&hn, &get, "/tinh/79", None).is_err());
        assert!(authorize(&hn, &get, "/tinh/79/van-phong/3", None).is_err());
        assert!(authorize(&hn, &get, "/viec", Some("ma_tinh=79")).is_err());
        assert!(authorize(&hn, &get, "/viec", Some("ma_tinh=01&x=1")).is_ok());
        assert!(authorize(&hn, &get, "/nhat-ky", None).is_err());
        let leader = user(Role::LanhDao, Scope::National);
        assert!(authorize(&leader, &get, "/tinh/79", None).is_ok());
        assert!(authorize(&leader, &get, "/nhat-ky", Some("trang=2")).is_ok());
        let analyst = user(Role::PhanTich, Scope::National);
        assert!(authorize(&analyst, &get, "/nhat-ky", None).is_err());
        let wall = user(Role::ManHinh, Scope::Kiosk);
        assert_eq!(
            authorize(&wall, &get, "/", None),
            Err(Denial::Redirect(WALL_PATH.to_owned()))
        );
        assert!(authorize(&wall, &get, "/man-hinh", None).is_ok());
        assert!(authorize(&wall, &Method::POST, "/doi-mat-khau", None).is_err());
        assert!(authorize(&wall, &Method::POST, "/dang-xuat", None).is_ok());
    }

    #[test]
    fn home_sends_each_role_to_its_unit_and_hidden_sections_are_refused() {
        use queries::access::Role;
        let get = Method::GET;
        let hn = user(
            Role::TruongTinh,
            Scope::Province {
                ma_tinh: "01".into(),
            },
        );
        assert_eq!(
            authorize(&hn, &get, "/", None),
            Err(Denial::Redirect("/tinh/01".to_owned()))
        );
        for hidden in ["/ca-nuoc", "/man-hinh", "/viec-cua-toi", "/nhat-ky"] {
            assert!(
                matches!(
                    authorize(&hn, &get, hidden, None),
                    Err(Denial::Forbidden(_))
                ),
                "{hidden}"
            );
        }
        let officer = user(
            Role::ChapHanhVien,
            Scope::Officer {
                can_bo_id: 3,
                don_vi_id: 7,
                ma_tinh: "01".into(),
            },
        );
        assert_eq!(
            authorize(&officer, &get, "/", None),
            Err(Denial::Redirect("/viec-cua-toi".to_owned()))
        );
        assert!(authorize(&officer, &get, "/tinh/01", None).is_err());
        assert!(authorize(&officer, &get, "/don-vi/7", None).is_err());
        assert!(authorize(&officer, &get, "/viec-cua-toi", None).is_ok());
        assert!(authorize(&officer, &get, "/viec/12", None).is_ok());
        let leader = user(Role::LanhDao, Scope::National);
        assert!(authorize(&leader, &get, "/", None).is_ok());
        assert!(authorize(&leader, &get, "/viec-cua-toi", None).is_err());
    }

    #[test]
    fn live_scope_comes_from_the_session() {
        let hn = Scope::Province {
            ma_tinh: "01".into(),
        };
        let status = |r: Result<Scope, (StatusCode, String)>| r.map_err(|e| e.0);
        assert_eq!(live_scope(&hn, None), Ok(hn.clone()));
        assert_eq!(live_scope(&hn, Some("province:01")), Ok(hn.clone()));
        assert_eq!(
            status(live_scope(&hn, Some("province:79"))),
            Err(StatusCode::FORBIDDEN)
        );
        assert_eq!(
            status(live_scope(&hn, Some("country"))),
            Err(StatusCode::FORBIDDEN)
        );
        assert_eq!(live_scope(&Scope::National, None), Ok(Scope::National));
        assert_eq!(
            live_scope(&Scope::National, Some("province:79")),
            Ok(Scope::Province {
                ma_tinh: "79".into()
            })
        );
        assert_eq!(live_scope(&Scope::Kiosk, Some("country")), Ok(Scope::Kiosk));
        let office = Scope::Office {
            don_vi_id: 5,
            ma_tinh: "01".into(),
        };
        assert_eq!(live_scope(&office, Some("province:01")), Ok(office.clone()));
        assert_eq!(
            status(live_scope(&Scope::National, Some("x"))),
            Err(StatusCode::BAD_REQUEST)
        );
        assert_eq!(
            status(live_scope(&Scope::National, Some("province:99"))),
            Err(StatusCode::BAD_REQUEST)
        );
    }

    #[test]
    fn origins_must_match_the_host() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:3000"));
        assert!(same_origin(&h).is_err());
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:3000"),
        );
        assert!(same_origin(&h).is_ok());
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://evil.example"),
        );
        assert!(same_origin(&h).is_err());
        h.remove(header::ORIGIN);
        h.insert(
            header::REFERER,
            HeaderValue::from_static("http://127.0.0.1:3000/dang-nhap?x"),
        );
        assert!(same_origin(&h).is_ok());
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(same_origin(&h).is_err());
    }

    #[test]
    fn next_stays_on_the_site() {
        assert_eq!(safe_next(Some("/tinh/01?x=1")), Some("/tinh/01?x=1".into()));
        assert_eq!(safe_next(Some("//evil.example")), None);
        assert_eq!(safe_next(Some("https://evil.example")), None);
        assert_eq!(safe_next(Some("/\\evil")), None);
        assert_eq!(safe_next(Some("/dang-nhap")), None);
        assert_eq!(safe_next(None), None);
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; ioc_sid=abc; b=2"),
        );
        assert_eq!(session_cookie(&h), Some("abc".into()));
        h.insert(header::COOKIE, HeaderValue::from_static("ioc_sid="));
        assert_eq!(session_cookie(&h), None);
    }
}
