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

    /// A fresh PostgreSQL database, for tests that need one: they are `#[ignore]`d, and
    /// `scripts/test.sh` runs them wherever PostgreSQL answers (always in CI).
    ///
    /// # Panics
    /// When `TEST_DATABASE_URL` is unset: such a test must fail, not pass untested.
    pub async fn postgres_required() -> TestDb {
        TestDb::postgres()
            .await
            .expect("this test needs PostgreSQL: set TEST_DATABASE_URL=postgres://…")
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
    let mut app = spawn_server(db, adjust).await;
    app.client = app
        .login_as("test-lanhdao", Role::LanhDao, None, None)
        .await;
    app
}

/// [`spawn_app_with`] without signing in (`client` is anonymous too): a server whose store
/// cannot be written still starts.
pub async fn spawn_server(db: &TestDb, adjust: impl FnOnce(&mut Config)) -> TestApp {
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
    let store = state.store.clone();
    tokio::spawn(server::run(listener, state, token.clone()));
    let anon = client_with(&base, None);
    TestApp {
        base,
        client: anon.clone(),
        anon,
        store,
        token,
    }
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

/// A TCP proxy in front of PostgreSQL that a test can cut (every connection dropped, new ones
/// refused) and restore: a network fault between one server and its database.
pub struct Proxy {
    /// `postgres://…` through the proxy, to the same database as the one given.
    pub url: String,
    state: std::sync::Arc<std::sync::Mutex<CancellationToken>>,
    stop: CancellationToken,
}

impl Proxy {
    /// Starts a proxy to the host and port of `url`.
    pub async fn start(url: &str) -> Proxy {
        let (scheme_user, rest) = url.split_once('@').expect("postgres://user@host:port/db");
        let (host_port, db) = rest.split_once('/').expect("/db");
        let upstream = if host_port.contains(':') {
            host_port.to_string()
        } else {
            format!("{host_port}:5432")
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let state = std::sync::Arc::new(std::sync::Mutex::new(CancellationToken::new()));
        let stop = CancellationToken::new();
        let (accept_state, accept_stop) = (state.clone(), stop.clone());
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    () = accept_stop.cancelled() => return,
                    a = listener.accept() => a,
                };
                let Ok((mut client, _)) = accepted else {
                    continue;
                };
                let cut = accept_state.lock().expect("proxy state").clone();
                if cut.is_cancelled() {
                    continue; // refused: dropped at once
                }
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        () = cut.cancelled() => {}
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                    }
                });
            }
        });
        Proxy {
            url: format!("{scheme_user}@127.0.0.1:{port}/{db}"),
            state,
            stop,
        }
    }

    /// Drops every open connection and refuses new ones until [`Proxy::restore`].
    pub fn cut(&self) {
        self.state.lock().expect("proxy state").cancel();
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        *self.state.lock().expect("proxy state") = CancellationToken::new();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.stop.cancel();
    }
}

/// Makes a file refuse writes, even for root (`chattr +i`), until dropped.
pub struct ReadOnlyFile(pub std::path::PathBuf);

impl ReadOnlyFile {
    pub fn new(path: &std::path::Path) -> ReadOnlyFile {
        use std::os::unix::fs::PermissionsExt;
        let guard = ReadOnlyFile(path.to_path_buf());
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o444)).expect("chmod");
        if std::fs::OpenOptions::new().write(true).open(path).is_ok() {
            // Root ignores the mode; the immutable attribute holds for root too.
            let status = std::process::Command::new("chattr")
                .arg("+i")
                .arg(path)
                .status()
                .expect("chattr");
            assert!(status.success(), "chattr +i {}", path.display());
        }
        assert!(
            std::fs::OpenOptions::new().write(true).open(path).is_err(),
            "the file must refuse writes for this test"
        );
        guard
    }
}

impl Drop for ReadOnlyFile {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::process::Command::new("chattr")
            .arg("-i")
            .arg(&self.0)
            .status();
        let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o644));
    }
}

/// An open `/api/live` response, read event by event.
pub struct Events {
    pub resp: reqwest::Response,
    pub buf: String,
}

impl Events {
    pub async fn open(app: &TestApp, query: &str, last_event_id: Option<&str>) -> Events {
        let mut req = app.client.get(format!("{}/api/live{query}", app.base));
        if let Some(id) = last_event_id {
            req = req.header("Last-Event-ID", id);
        }
        let resp = req.send().await.expect("live");
        assert_eq!(resp.status(), 200);
        let ct = resp.headers()["content-type"]
            .to_str()
            .expect("ct")
            .to_string();
        assert!(ct.starts_with("text/event-stream"), "{ct}");
        Events {
            resp,
            buf: String::new(),
        }
    }

    /// The next `kpi` event, skipping alerts, status events and heartbeats: (id, data).
    pub async fn next(&mut self) -> (String, serde_json::Value) {
        loop {
            let (event, id, data) = self.next_any().await;
            if event == "kpi" {
                return (id, data);
            }
            assert!(event == "alert" || event == "status", "{event}");
        }
    }

    /// The next event of any type (heartbeat comments are skipped): (event, id, data).
    pub async fn next_any(&mut self) -> (String, String, serde_json::Value) {
        // Heartbeats keep the stream busy: bound the wait for a real event as a whole.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            assert!(
                std::time::Instant::now() < deadline,
                "no event within 60 s: {:?}",
                self.buf
            );
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(&format!("{name}:")))
                        .map(|v| v.trim().to_string())
                };
                if let (Some(event), Some(data)) = (field("event"), field("data")) {
                    assert!(
                        ["kpi", "alert", "status"].contains(&event.as_str()),
                        "{block}"
                    );
                    let id = field("id").unwrap_or_default();
                    if event != "kpi" {
                        assert!(id.is_empty(), "only kpi events carry an id: {block}");
                    }
                    return (event, id, serde_json::from_str(&data).expect("json data"));
                }
                continue;
            }
            let chunk = tokio::time::timeout(std::time::Duration::from_secs(20), self.resp.chunk())
                .await
                .expect("an event within 20 s")
                .expect("chunk")
                .expect("stream open");
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

/// The version an SSE id names (`<version>-<instance>`).
pub fn version(id: &str) -> u64 {
    id.split_once('-')
        .and_then(|(v, _)| v.parse().ok())
        .unwrap_or_else(|| panic!("kpi id <version>-<instance>: {id:?}"))
}
