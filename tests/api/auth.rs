//! Users, roles and scope: login, sessions, throttling, CSRF, per-role access, the audit trail.

use crate::helpers::{client_with, seeded_store, spawn_app, TestApp, TestDb, TEST_PASSWORD};
use queries::access::Role;
use server::store::Store;

/// Every page route of the app (a province and a case id that exist at any scale).
const PAGES: [&str; 13] = [
    "/",
    "/viec-cua-toi",
    "/hoi-dap",
    "/nhiem-vu",
    "/man-hinh",
    "/ca-nuoc",
    "/tinh/01",
    "/don-vi/1",
    "/can-bo/1",
    "/viec/1",
    "/nhat-ky",
    "/doi-mat-khau",
    "/khong-co-trang-nay",
];

/// A page every signed-in user but the wall display opens (`/` sends most roles to their own
/// home): whether a session is alive is read from it.
const SESSION_PAGE: &str = "/doi-mat-khau";

async fn status(client: &reqwest::Client, url: String) -> u16 {
    client.get(url).send().await.expect("get").status().as_u16()
}

async fn location(client: &reqwest::Client, url: String) -> String {
    let resp = client.get(url).send().await.expect("get");
    resp.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Rows of the audit log as `action/outcome/actor`, oldest first.
async fn audit_rows(store: &Store) -> Vec<String> {
    crate::helpers::text_rows(
        store,
        "SELECT action || '/' || outcome || '/' || actor FROM audit_log ORDER BY id",
    )
    .await
}

/// The path of every registered server function.
fn server_fn_paths() -> Vec<String> {
    let paths: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(p, _)| p.to_owned())
        .collect();
    assert!(paths.len() >= 3, "server functions registered: {paths:?}");
    paths
}

#[tokio::test(flavor = "multi_thread")]
async fn anonymous_callers_are_sent_to_login_or_refused() {
    for db in TestDb::all().await {
        seeded_store(&db, 0.001).await.close().await;
        let app = spawn_app(&db).await;
        for page in PAGES {
            let resp = app
                .anon
                .get(format!("{}{page}", app.base))
                .send()
                .await
                .expect("get");
            assert_eq!(resp.status(), 303, "{page}");
            let to = resp.headers()["location"].to_str().expect("loc").to_owned();
            assert!(to.starts_with("/dang-nhap"), "{page} → {to}");
            if page != "/" {
                assert!(to.contains("next="), "{page} → {to}");
            }
        }
        for api in [
            "/api/live",
            "/api/viec-qua-han.csv",
            "/api/live?scope=country",
        ] {
            assert_eq!(
                status(&app.anon, format!("{}{api}", app.base)).await,
                401,
                "{api}"
            );
        }
        for path in server_fn_paths() {
            let resp = app
                .anon
                .post(format!("{}{path}", app.base))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("")
                .send()
                .await
                .expect("post");
            assert_eq!(resp.status(), 401, "server function {path}");
        }
        // Still open: the login page, built files, health, the ingest API (its own token).
        let login = app
            .anon
            .get(format!("{}/dang-nhap", app.base))
            .send()
            .await
            .expect("login page");
        assert_eq!(login.status(), 200);
        let html = login.text().await.expect("body");
        assert!(
            html.contains("Tên đăng nhập") && html.contains("method=\"post\""),
            "{html}"
        );
        assert_eq!(
            status(&app.anon, format!("{}/api/health", app.base)).await,
            200
        );
        assert_eq!(
            status(&app.anon, format!("{}/api/events/schema", app.base)).await,
            200
        );
        // A made-up session id is nobody.
        let forged = client_with(&app.base, Some(&"ab".repeat(32)));
        assert_eq!(status(&forged, format!("{}/api/live", app.base)).await, 401);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn login_rotates_the_session_and_logout_ends_it() {
    for db in TestDb::all().await {
        seeded_store(&db, 0.001).await.close().await;
        let app = spawn_app(&db).await;
        app.create_user("hn", Role::TruongTinh, Some("T01"), None)
            .await;
        app.create_user("hcm", Role::TruongTinh, Some("T79"), None)
            .await;

        // Wrong password: back to the form with the reason, no cookie.
        let bad = app.post_login(&app.anon, "hn", "sai-mat-khau").await;
        assert_eq!(bad.status, 303);
        assert!(
            bad.location.starts_with("/dang-nhap?loi=sai"),
            "{}",
            bad.location
        );
        assert!(bad.sid.is_none());
        let page = app
            .anon
            .get(format!("{}{}", app.base, bad.location))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("body");
        assert!(page.contains("Tên đăng nhập hoặc mật khẩu không đúng."));

        // Session fixation: a session presented at login is not the one that comes out of it,
        // and is dead afterwards (whoever held it).
        let first = app.login("hcm", TEST_PASSWORD).await;
        let holder = client_with(&app.base, Some(&first));
        assert_eq!(
            status(&holder, format!("{}{SESSION_PAGE}", app.base)).await,
            200
        );
        let second = app.post_login(&holder, "hn", TEST_PASSWORD).await;
        assert_eq!(second.status, 303);
        assert_eq!(
            second.location, "/tinh/01",
            "signing in lands on the role's home"
        );
        let sid = second.sid.expect("new session");
        assert_ne!(sid, first);
        assert_eq!(sid.len(), 64, "256-bit id in hex");
        assert_eq!(
            status(&holder, format!("{}{SESSION_PAGE}", app.base)).await,
            303
        );
        let hn = client_with(&app.base, Some(&sid));
        assert_eq!(
            status(&hn, format!("{}{SESSION_PAGE}", app.base)).await,
            200
        );

        // The cookie's attributes.
        let raw = app
            .anon
            .post(format!("{}/dang-nhap", app.base))
            .form(&[
                ("login", "hn"),
                ("password", TEST_PASSWORD),
                ("next", "/tinh/01"),
            ])
            .send()
            .await
            .expect("login");
        assert_eq!(raw.headers()["location"], "/tinh/01", "next is honoured");
        let cookie = raw.headers()["set-cookie"]
            .to_str()
            .expect("cookie")
            .to_owned();
        for attr in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
            assert!(cookie.contains(attr), "{cookie}");
        }
        let max_age: i64 = cookie
            .split("Max-Age=")
            .nth(1)
            .and_then(|v| v.split(';').next())
            .and_then(|v| v.trim().parse().ok())
            .expect("Max-Age");
        assert!((43_000..=43_200).contains(&max_age), "12 hours: {cookie}");
        assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
        // An off-site `next` is ignored.
        let off = app
            .anon
            .post(format!("{}/dang-nhap", app.base))
            .form(&[
                ("login", "hn"),
                ("password", TEST_PASSWORD),
                ("next", "//evil.example/"),
            ])
            .send()
            .await
            .expect("login");
        assert_eq!(
            off.headers()["location"],
            "/tinh/01",
            "the role's home instead"
        );

        // Logout ends the session on the server, not only in the browser.
        let out = hn
            .post(format!("{}/dang-xuat", app.base))
            .send()
            .await
            .expect("logout");
        assert_eq!(out.status(), 303);
        assert!(out.headers()["set-cookie"]
            .to_str()
            .expect("c")
            .contains("Max-Age=0"));
        assert_eq!(
            status(&hn, format!("{}{SESSION_PAGE}", app.base)).await,
            303
        );
        assert_eq!(status(&hn, format!("{}/api/live", app.base)).await, 401);

        let trail = audit_rows(&app.store).await;
        for want in [
            "login/failed/hn",
            "login/ok/hcm",
            "login/ok/hn",
            "logout/ok/hn",
        ] {
            assert!(trail.iter().any(|r| r == want), "{want} in {trail:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn brute_force_is_throttled_per_account() {
    for db in TestDb::all().await {
        let app = spawn_app(&db).await;
        app.create_user("nannhan", Role::LanhDao, None, None).await;
        for i in 0..server::auth::throttle::ACCOUNT_LIMIT {
            let r = app
                .post_login(&app.anon, "nannhan", &format!("doan-sai-{i}"))
                .await;
            assert!(
                r.location.contains("loi=sai"),
                "attempt {i}: {}",
                r.location
            );
        }
        // Locked: even the right password is refused now, with a clear message.
        let locked = app.post_login(&app.anon, "nannhan", TEST_PASSWORD).await;
        assert!(locked.sid.is_none());
        assert!(locked.location.contains("loi=khoa"), "{}", locked.location);
        assert!(locked.location.contains("phut=15"), "{}", locked.location);
        let page = app
            .anon
            .get(format!("{}{}", app.base, locked.location))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("body");
        assert!(
            page.contains(
                "Tài khoản tạm khóa do đăng nhập sai nhiều lần. Vui lòng thử lại sau 15 phút."
            ),
            "{page}"
        );
        // Other accounts are unaffected.
        app.create_user("khac", Role::LanhDao, None, None).await;
        assert!(app
            .post_login(&app.anon, "khac", TEST_PASSWORD)
            .await
            .sid
            .is_some());
        let trail = audit_rows(&app.store).await;
        assert_eq!(
            trail
                .iter()
                .filter(|r| *r == "login/failed/nannhan")
                .count(),
            5,
            "{trail:?}"
        );
        assert!(
            trail.iter().any(|r| r == "login/locked/nannhan"),
            "{trail:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn state_changing_requests_from_another_origin_are_refused() {
    for db in TestDb::all().await {
        let app = spawn_app(&db).await;
        let sid = {
            app.create_user("csrf", Role::LanhDao, None, None).await;
            app.login("csrf", TEST_PASSWORD).await
        };
        let cookie = format!("{}={sid}", server::auth::COOKIE);
        let foreign = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        // Logout, change password and a server function, each from a foreign origin and with
        // no origin at all.
        for origin in [Some("http://evil.example"), None] {
            for (path, body) in [
                ("/dang-xuat", String::new()),
                (
                    "/doi-mat-khau",
                    format!("current={TEST_PASSWORD}&new=x1234567890&confirm=x1234567890"),
                ),
                (server_fn_paths()[0].as_str(), String::new()),
            ] {
                let mut req = foreign
                    .post(format!("{}{path}", app.base))
                    .header("cookie", &cookie)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body);
                if let Some(o) = origin {
                    req = req.header("origin", o);
                }
                assert_eq!(
                    req.send().await.expect("post").status(),
                    403,
                    "{path} from {origin:?}"
                );
            }
        }
        // Login CSRF too.
        let login = foreign
            .post(format!("{}/dang-nhap", app.base))
            .header("origin", "http://evil.example")
            .form(&[("login", "csrf"), ("password", TEST_PASSWORD)])
            .send()
            .await
            .expect("login");
        assert_eq!(login.status(), 403);
        // The session survived every attempt and the password was not changed.
        let me = client_with(&app.base, Some(&sid));
        assert_eq!(
            status(&me, format!("{}{SESSION_PAGE}", app.base)).await,
            200
        );
        assert!(app
            .post_login(&app.anon, "csrf", TEST_PASSWORD)
            .await
            .sid
            .is_some());
        let denied = audit_rows(&app.store)
            .await
            .into_iter()
            .filter(|r| r.starts_with("access_denied/denied/"))
            .count();
        assert_eq!(denied, 7, "each refusal audited");
    }
}

/// The first chấp hành viên of `T01-KV01`.
async fn officer_of_hn1(store: &Store) -> i64 {
    let sql = "SELECT cb.id FROM can_bo cb JOIN don_vi dv ON dv.id = cb.don_vi_id \
               WHERE dv.ma = 'T01-KV01' AND cb.la_chap_hanh_vien = 1 ORDER BY cb.id LIMIT 1";
    crate::helpers::scalar_f64(store, sql).await as i64
}

#[tokio::test(flavor = "multi_thread")]
async fn each_role_sees_only_its_scope() {
    for db in TestDb::all().await {
        seeded_store(&db, 0.002).await.close().await;
        let app = spawn_app(&db).await;
        let hn = app
            .login_as("hn", Role::TruongTinh, Some("T01"), None)
            .await;
        let analyst = app.login_as("pt", Role::PhanTich, Some("CUC"), None).await;
        let officer_id = officer_of_hn1(&app.store).await;
        let officer = app
            .login_as("chv", Role::ChapHanhVien, None, Some(officer_id))
            .await;
        let url = |p: &str| format!("{}{p}", app.base);

        // URL tampering: another province's page, list or CSV export.
        assert_eq!(status(&hn, url("/tinh/01")).await, 200);
        for p in [
            "/tinh/79",
            "/tinh/48?trang=2",
            "/api/viec-qua-han.csv?tinh=79",
            "/ca-nuoc?tinh=79",
            "/nhat-ky",
        ] {
            assert_eq!(status(&hn, url(p)).await, 403, "{p}");
        }
        // The audit log is for leadership only.
        assert_eq!(status(&analyst, url("/nhat-ky")).await, 403);
        assert_eq!(status(&officer, url("/nhat-ky")).await, 403);
        assert_eq!(status(&app.client, url("/nhat-ky")).await, 200);
        // The officer's province is its own; others are not.
        assert_eq!(status(&officer, url("/tinh/79")).await, 403);

        // The live stream: the scope is the session's; a parameter only narrows.
        for q in ["?scope=province:79", "?scope=country", "?scope=kiosk"] {
            assert_eq!(status(&hn, url(&format!("/api/live{q}"))).await, 403, "{q}");
        }
        let resp = hn.get(url("/api/live")).send().await.expect("live");
        assert_eq!(resp.status(), 200);
        let first = first_sse_data(resp).await;
        let provinces = first["provinces"].as_array().expect("provinces");
        assert!(!provinces.is_empty());
        assert!(
            provinces.iter().all(|p| p["ma_tinh"] == "01"),
            "only Hà Nội: {provinces:?}"
        );
        let national = app
            .client
            .get(url("/api/live?scope=province:79"))
            .send()
            .await
            .expect("live");
        assert_eq!(
            national.status(),
            200,
            "a national user may narrow to a province"
        );

        let trail = audit_rows(&app.store).await;
        assert!(
            trail
                .iter()
                .filter(|r| *r == "access_denied/denied/hn")
                .count()
                >= 5,
            "{trail:?}"
        );
    }
}

/// The `data` of the first event of an SSE response.
async fn first_sse_data(mut resp: reqwest::Response) -> serde_json::Value {
    let mut buf = String::new();
    loop {
        if let Some(line) = buf.lines().find(|l| l.starts_with("data:")) {
            if buf.contains("\n\n") {
                return serde_json::from_str(line.trim_start_matches("data:").trim())
                    .expect("json");
            }
        }
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(20), resp.chunk())
            .await
            .expect("an event within 20 s")
            .expect("chunk")
            .expect("open");
        buf.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_wall_display_opens_with_a_kiosk_token_and_is_read_only() {
    for db in TestDb::all().await {
        seeded_store(&db, 0.001).await.close().await;
        let app = spawn_app(&db).await;
        let created = server::auth::demo::create(&app.store)
            .await
            .expect("demo accounts");
        assert!(created.contains(&"manhinh".to_owned()), "{created:?}");
        assert!(created.contains(&"chv.hn1".to_owned()), "{created:?}");
        let token = server::auth::demo::DEMO_KIOSK_TOKEN;

        let resp = app
            .anon
            .get(format!("{}/man-hinh?kiosk={token}&xoay=1", app.base))
            .send()
            .await
            .expect("wall");
        assert_eq!(resp.status(), 303);
        assert_eq!(
            resp.headers()["location"],
            "/man-hinh?xoay=1",
            "token leaves the URL"
        );
        let cookie = resp.headers()["set-cookie"]
            .to_str()
            .expect("cookie")
            .to_owned();
        let sid = cookie
            .split(';')
            .next()
            .and_then(|kv| kv.split_once('='))
            .map(|(_, v)| v.to_owned())
            .expect("sid");
        let wall = client_with(&app.base, Some(&sid));
        assert_eq!(status(&wall, format!("{}/man-hinh", app.base)).await, 200);
        assert_eq!(status(&wall, format!("{}/api/live", app.base)).await, 200);
        // Nothing else: other pages lead back to the wall, writes are refused.
        assert_eq!(location(&wall, format!("{}/", app.base)).await, "/man-hinh");
        assert_eq!(
            location(&wall, format!("{}/nhat-ky", app.base)).await,
            "/man-hinh"
        );
        let change = wall
            .post(format!("{}/doi-mat-khau", app.base))
            .form(&[("current", "x"), ("new", "y"), ("confirm", "y")])
            .send()
            .await
            .expect("post");
        assert_eq!(change.status(), 403);

        // A bad token opens nothing.
        let bad = location(&app.anon, format!("{}/man-hinh?kiosk=khong-dung", app.base)).await;
        assert!(bad.starts_with("/dang-nhap?loi=kiosk"), "{bad}");

        // Revoking the token ends the screen's session.
        let tokens = server::auth::accounts::list_kiosk_tokens(&app.store)
            .await
            .expect("list");
        assert!(
            server::auth::accounts::revoke_kiosk_token(&app.store, tokens[0].id)
                .await
                .expect("revoke")
        );
        assert_eq!(status(&wall, format!("{}/man-hinh", app.base)).await, 303);
        let again = location(&app.anon, format!("{}/man-hinh?kiosk={token}", app.base)).await;
        assert!(again.starts_with("/dang-nhap?loi=kiosk"), "{again}");

        // The demo officer is linked to a real officer of Hà Nội khu vực 1 and masked names
        // are not its concern: its scope is its own cases.
        let chv = app.login("chv.hn1", "ChapHanh@2026").await;
        let chv = client_with(&app.base, Some(&chv));
        assert_eq!(status(&chv, format!("{}/tinh/79", app.base)).await, 403);
        let trail = audit_rows(&app.store).await;
        assert!(
            trail.iter().any(|r| r == "kiosk_open/ok/manhinh"),
            "{trail:?}"
        );
        assert!(
            trail.iter().any(|r| r == "kiosk_open/failed/kiosk"),
            "{trail:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn changing_the_password_ends_other_sessions() {
    for db in TestDb::all().await {
        let app = spawn_app(&db).await;
        app.create_user("doi", Role::PhanTich, None, None).await;
        let a = client_with(&app.base, Some(&app.login("doi", TEST_PASSWORD).await));
        let b = client_with(&app.base, Some(&app.login("doi", TEST_PASSWORD).await));
        let post = |client: &reqwest::Client, current: &str, new: &str, confirm: &str| {
            client
                .post(format!("{}/doi-mat-khau", app.base))
                .form(&[("current", current), ("new", new), ("confirm", confirm)])
                .send()
        };
        let wrong = post(
            &a,
            "khong-dung-mat-khau",
            "mat-khau-moi-2026",
            "mat-khau-moi-2026",
        )
        .await
        .expect("post");
        assert_eq!(wrong.headers()["location"], "/doi-mat-khau?loi=sai");
        let short = post(&a, TEST_PASSWORD, "ngan", "ngan").await.expect("post");
        assert_eq!(short.headers()["location"], "/doi-mat-khau?loi=ngan");
        let mismatch = post(&a, TEST_PASSWORD, "mat-khau-moi-2026", "mat-khau-khac-2026")
            .await
            .expect("post");
        assert_eq!(mismatch.headers()["location"], "/doi-mat-khau?loi=khop");
        let ok = post(&a, TEST_PASSWORD, "mat-khau-moi-2026", "mat-khau-moi-2026")
            .await
            .expect("post");
        assert_eq!(ok.headers()["location"], "/doi-mat-khau?ok=1");
        let new_sid = ok.headers()["set-cookie"]
            .to_str()
            .expect("cookie")
            .split(';')
            .next()
            .and_then(|kv| kv.split_once('='))
            .map(|(_, v)| v.to_owned())
            .expect("sid");
        // Both old sessions are gone; the new one works; only the new password signs in.
        assert_eq!(status(&a, format!("{}{SESSION_PAGE}", app.base)).await, 303);
        assert_eq!(status(&b, format!("{}{SESSION_PAGE}", app.base)).await, 303);
        let a2 = client_with(&app.base, Some(&new_sid));
        assert_eq!(
            status(&a2, format!("{}{SESSION_PAGE}", app.base)).await,
            200
        );
        assert!(app
            .post_login(&app.anon, "doi", TEST_PASSWORD)
            .await
            .sid
            .is_none());
        assert!(app
            .post_login(&app.anon, "doi", "mat-khau-moi-2026")
            .await
            .sid
            .is_some());
        let trail = audit_rows(&app.store).await;
        assert_eq!(
            trail
                .iter()
                .filter(|r| *r == "password_change/failed/doi")
                .count(),
            3,
            "{trail:?}"
        );
        assert!(trail.iter().any(|r| r == "password_change/ok/doi"));
        // No password or hash ever lands in the audit log.
        let details = crate::helpers::text_rows(&app.store, "SELECT detail FROM audit_log").await;
        assert!(details
            .iter()
            .all(|d| !d.contains("mat-khau") && !d.contains("argon2")));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_page_lists_and_filters_entries_for_leadership() {
    for db in TestDb::all().await {
        let app = spawn_app(&db).await;
        app.create_user("ai", Role::PhanTich, None, None).await;
        let _ = app.post_login(&app.anon, "ai", "sai-roi-mat-khau").await;
        let html = app
            .client
            .get(format!(
                "{}/nhat-ky?hanh_dong=login&ket_qua=failed",
                app.base
            ))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("body")
            // Leptos' erased views close each list of children with a `<!>` marker.
            .replace("<!>", "");
        assert!(html.contains("Nhật ký truy cập và thao tác"), "{html}");
        assert!(
            html.contains("<td>ai</td>"),
            "the failed login of ai: {html}"
        );
        assert!(html.contains("Không thành công"));
        assert!(
            !html.contains("<td>test-lanhdao</td>"),
            "filtered to failures: {html}"
        );
        let other = app
            .client
            .get(format!("{}/nhat-ky?tai_khoan=khong-ai-ca", app.base))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("body");
        assert!(other.contains("Không có mục nào khớp bộ lọc."));
        // Server function too, not only the page: an analyst is refused.
        let analyst = app.login_as("pt2", Role::PhanTich, None, None).await;
        assert_eq!(
            status(&analyst, format!("{}/nhat-ky?trang=2", app.base)).await,
            403
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_adds_users_and_resets_passwords() {
    use server::auth::cli::{ResetArgs, UserAddArgs, UserCommand};
    for db in TestDb::all().await {
        let store = seeded_store(&db, 0.001).await;
        let out = server::auth::cli::user(
            &store,
            UserCommand::Add(UserAddArgs {
                login: "TruongTinh.DN".into(),
                role: Role::TruongTinh,
                don_vi: Some("T48".into()),
                can_bo: None,
                name: Some("Trưởng THADS TP Đà Nẵng".into()),
                password_stdin: false,
            }),
        )
        .await
        .expect("add");
        let password = out
            .lines()
            .find_map(|l| l.strip_prefix("password: "))
            .expect("generated password")
            .to_owned();
        assert_eq!(password.len(), 32);
        // A role that does not fit its unit, a duplicate, an unknown unit: refused.
        for (login, role, unit) in [
            ("x1", Role::TruongTinh, "T48-KV01"),
            ("truongtinh.dn", Role::TruongTinh, "T48"),
            ("x2", Role::PhanTich, "T99"),
        ] {
            let r = server::auth::cli::user(
                &store,
                UserCommand::Add(UserAddArgs {
                    login: login.into(),
                    role,
                    don_vi: Some(unit.into()),
                    can_bo: None,
                    name: None,
                    password_stdin: false,
                }),
            )
            .await;
            assert!(r.is_err(), "{login} {unit}");
        }
        store.close().await;
        let app = spawn_app(&db).await;
        let sid = app.login("truongtinh.dn", &password).await;
        let dn = client_with(&app.base, Some(&sid));
        assert_eq!(status(&dn, format!("{}/tinh/01", app.base)).await, 403);
        let out = server::auth::cli::user(
            &app.store,
            UserCommand::ResetPassword(ResetArgs {
                login: "truongtinh.dn".into(),
                password_stdin: false,
            }),
        )
        .await
        .expect("reset");
        assert!(out.contains("password: "));
        assert_eq!(
            status(&dn, format!("{}{SESSION_PAGE}", app.base)).await,
            303,
            "sessions ended"
        );
        let trail = audit_rows(&app.store).await;
        assert!(trail.iter().any(|r| r == "user_add/ok/cli"));
        assert!(trail.iter().any(|r| r == "user_reset_password/ok/cli"));
    }
}

/// A helper check: the national client of every test app is signed in.
#[tokio::test(flavor = "multi_thread")]
async fn test_apps_come_with_a_signed_in_client() {
    let db = TestDb::sqlite();
    let app: TestApp = spawn_app(&db).await;
    assert_eq!(status(&app.client, format!("{}/", app.base)).await, 200);
    assert_eq!(status(&app.anon, format!("{}/", app.base)).await, 303);
}
