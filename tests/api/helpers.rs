//! Test fixtures: fresh databases on each store and a server on a port-0 listener.

use queries::access::Role;
use server::config::Config;
use server::store::Store;
use std::sync::atomic::{AtomicU32, Ordering};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// A database that exists for one test and is removed afterwards (also on panic).
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    /// A fresh SQLite file in a temporary directory.
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite:{}", dir.path().join("ioc.db").display());
        TestDb {
            url,
            _dir: Some(dir),
            pg: None,
        }
    }

    /// A fresh PostgreSQL database next to `TEST_DATABASE_URL`, or `None` when it is unset.
    pub async fn postgres() -> Option<TestDb> {
        let admin = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|s| !s.is_empty())?;
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "ioc_test_{}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            chrono::Utc::now().timestamp_micros()
        );
        let store = Store::connect(&admin)
            .await
            .expect("connect to TEST_DATABASE_URL");
        let Store::Postgres(pool) = &store else {
            panic!("TEST_DATABASE_URL must be postgres://")
        };
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(pool)
            .await
            .expect("create database");
        store.close().await;
        let base = admin
            .rsplit_once('/')
            .map_or(admin.as_str(), |(b, _)| b)
            .to_string();
        let url = format!("{base}/{name}");
        Some(TestDb {
            url,
            _dir: None,
            pg: Some((admin, name)),
        })
    }

    /// Every store available here: SQLite, and PostgreSQL when configured.
    pub async fn all() -> Vec<TestDb> {
        let mut dbs = vec![TestDb::sqlite()];
        dbs.extend(TestDb::postgres().await);
        dbs
    }

    /// A migrated store on this database.
    pub async fn store(&self) -> Store {
        let store = Store::connect(&self.url).await.expect("connect");
        store.migrate().await.expect("migrate");
        store
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.pg.take() else {
            return;
        };
        // Drop runs outside async context: use a short-lived runtime on its own thread.
        let joined = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(Store::Postgres(pool)) = Store::connect(&admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&pool)
                        .await;
                    pool.close().await;
                }
            });
        })
        .join();
        drop(joined);
    }
}

/// A running server on a port-0 listener; dropping it stops the server.
pub struct TestApp {
    pub base: String,
    /// Signed in as a national leader (`test-lanhdao`); sends `Origin: <base>`; follows no
    /// redirects.
    pub client: reqwest::Client,
    /// Not signed in (sends `Origin: <base>`, follows no redirects).
    pub anon: reqwest::Client,
    /// The server's store, for creating accounts and reading the audit log.
    pub store: Store,
    /// The server's change feed: subscribe before a request to see what it commits.
    pub feed: server::feed::Feed,
    token: CancellationToken,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.token.cancel();
    }
}

/// Starts the real server against `db`.
pub async fn spawn_app(db: &TestDb) -> TestApp {
    spawn_app_with(db, |_| {}).await
}

/// Starts the real server against `db` with the test configuration changed by `adjust`.
pub async fn spawn_app_with(db: &TestDb, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let dir = std::env::temp_dir();
    let mut cfg = Config {
        database_url: db.url.clone(),
        ..Config::for_tests(&dir)
    };
    adjust(&mut cfg);
    let state = server::build_state(&cfg).await.expect("state");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let token = CancellationToken::new();
    let feed = state.feed.clone();
    let store = state.store.clone();
    tokio::spawn(server::run(listener, state, token.clone()));
    let anon = client_with(&base, None);
    let mut app = TestApp {
        base,
        client: anon.clone(),
        anon,
        store,
        feed,
        token,
    };
    app.client = app
        .login_as("test-lanhdao", Role::LanhDao, None, None)
        .await;
    app
}

/// The password of every account the helpers create.
pub const TEST_PASSWORD: &str = "mật-khẩu-thử-nghiệm";

/// A client that sends `Origin: <base>` (and the session cookie `sid`, if given) on every
/// request and follows no redirects.
pub fn client_with(base: &str, sid: Option<&str>) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ORIGIN,
        reqwest::header::HeaderValue::from_str(base).expect("origin"),
    );
    if let Some(sid) = sid {
        headers.insert(
            reqwest::header::COOKIE,
            reqwest::header::HeaderValue::from_str(&format!("{}={sid}", server::auth::COOKIE))
                .expect("cookie"),
        );
    }
    reqwest::Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The outcome of a login form post: the redirect target and the new session id, if any.
pub struct LoginResult {
    pub status: u16,
    pub location: String,
    pub sid: Option<String>,
}

impl TestApp {
    /// Posts the login form with `client` (which may carry a previous session cookie).
    pub async fn post_login(
        &self,
        client: &reqwest::Client,
        login: &str,
        password: &str,
    ) -> LoginResult {
        let resp = client
            .post(format!("{}/dang-nhap", self.base))
            .form(&[("login", login), ("password", password)])
            .send()
            .await
            .expect("login post");
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let cookie = header("set-cookie");
        let sid = cookie
            .split(';')
            .next()
            .and_then(|kv| kv.split_once('='))
            .filter(|(k, v)| *k == server::auth::COOKIE && !v.is_empty())
            .map(|(_, v)| v.to_owned());
        LoginResult {
            status: resp.status().as_u16(),
            location: header("location"),
            sid,
        }
    }

    /// Creates an account (password [`TEST_PASSWORD`]) and returns a client signed in as it.
    /// `don_vi` is a unit code (`T01`, `T01-KV01`); `can_bo` links a chấp hành viên.
    pub async fn login_as(
        &self,
        login: &str,
        role: Role,
        don_vi: Option<&str>,
        can_bo: Option<i64>,
    ) -> reqwest::Client {
        // A second server on the same database (restart, two instances) finds it already made.
        let existing = server::auth::accounts::find_account(&self.store, login)
            .await
            .expect("account lookup");
        if existing.is_none() {
            self.create_user(login, role, don_vi, can_bo).await;
        }
        let sid = self.login(login, TEST_PASSWORD).await;
        client_with(&self.base, Some(&sid))
    }

    /// Creates an account with password [`TEST_PASSWORD`].
    pub async fn create_user(
        &self,
        login: &str,
        role: Role,
        don_vi: Option<&str>,
        can_bo: Option<i64>,
    ) {
        server::auth::accounts::add_account(
            &self.store,
            &server::auth::accounts::NewAccount {
                login: login.into(),
                display_name: format!("Người dùng thử {login}"),
                role,
                don_vi_ma: don_vi.map(str::to_owned),
                can_bo_id: can_bo,
                password: TEST_PASSWORD.into(),
            },
        )
        .await
        .unwrap_or_else(|e| panic!("create {login}: {e}"));
    }

    /// Signs in and returns the session id (panics when the login fails).
    pub async fn login(&self, login: &str, password: &str) -> String {
        let r = self.post_login(&self.anon, login, password).await;
        assert_eq!(r.status, 303, "login of {login}");
        r.sid
            .unwrap_or_else(|| panic!("no session for {login}: {}", r.location))
    }
}

/// Runs one statement on either store.
pub async fn exec(store: &Store, sql: &str) -> Result<(), sqlx::Error> {
    match store {
        Store::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(drop),
        Store::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(drop),
    }
}

/// One number from a query on either store (the query must return a single numeric value).
pub async fn scalar_f64(store: &Store, sql: &str) -> f64 {
    let wrapped = format!("SELECT CAST(({sql}) AS DOUBLE PRECISION)");
    let v: Option<f64> = match store {
        Store::Sqlite(pool) => sqlx::query_scalar(&wrapped).fetch_one(pool).await,
        Store::Postgres(pool) => sqlx::query_scalar(&wrapped).fetch_one(pool).await,
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
    v.unwrap_or(f64::NAN)
}

/// The rows of a query as text (each row one string), on either store.
pub async fn text_rows(store: &Store, sql: &str) -> Vec<String> {
    match store {
        Store::Sqlite(pool) => sqlx::query_scalar(sql).fetch_all(pool).await,
        Store::Postgres(pool) => sqlx::query_scalar(sql).fetch_all(pool).await,
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The as-of date of every seeded test database.
pub fn as_of() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date")
}

/// Seeds `db` with the demo generator (seed 42, as-of [`as_of`]) at `scale`; the store stays
/// open for assertions.
pub async fn seeded_store(db: &TestDb, scale: f64) -> Store {
    let store = db.store().await;
    let params = server::seed::Params {
        seed: 42,
        as_of: as_of(),
        scale,
    };
    server::seed::run(&store, &params, false)
        .await
        .expect("seed");
    store
}
