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

mod cookies;
mod forms;
mod middleware;

pub use cookies::session_cookie;
pub use forms::{routes, safe_next, LoginForm, PasswordForm};
pub use middleware::middleware;

use app::nav::{self, Section};
use axum::http::{header, HeaderMap, Method, StatusCode};
use queries::access::User;
pub use queries::access::{ClientAddr, SessionId};
use queries::Scope;
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

#[cfg(test)]
mod tests {
    use super::cookies::*;
    use super::*;
    use axum::http::HeaderValue;

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
