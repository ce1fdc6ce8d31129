//! Faults between the server and its store: a store that cannot be written, a replica cut off
//! from its database, a change committed without a notification, a client resuming on another
//! replica. Each test injects its fault itself.

use crate::helpers::{
    exec, seeded_store, spawn_app, spawn_app_with, spawn_server, version, Events, Proxy,
    ReadOnlyFile, TestApp, TestDb,
};
use crate::live::{case_in_hanoi, first_event, register_case_in_hanoi};
use serde_json::Value;
use std::time::{Duration, Instant};

/// `GET /api/health` as (status, `Retry-After`, body).
async fn health(app: &TestApp) -> (u16, Option<String>, Value) {
    let resp = app
        .anon
        .get(format!("{}/api/health", app.base))
        .send()
        .await
        .expect("health");
    answer(resp).await
}

/// A response as (status, `Retry-After`, JSON body).
async fn answer(resp: reqwest::Response) -> (u16, Option<String>, Value) {
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, retry, resp.json().await.expect("a JSON body"))
}

/// Polls `/api/health` until it answers `status` (at most 30 s).
async fn health_becomes(app: &TestApp, status: u16) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (now, _, body) = health(app).await;
        if now == status {
            return body;
        }
        assert!(Instant::now() < deadline, "health stayed {now}: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Posts one event batch with the ingest token: (status, `Retry-After`, body).
async fn post(app: &TestApp, events: Vec<Value>) -> (u16, Option<String>, Value) {
    let resp = app
        .anon
        .post(format!("{}/api/events", app.base))
        .bearer_auth("test-ingest-token")
        .json(&serde_json::json!({ "events": events }))
        .send()
        .await
        .expect("post");
    answer(resp).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_read_only_at_start_answers_503_and_is_used_again_once_writable() {
    let db = TestDb::sqlite();
    seeded_store(&db, 0.001).await.close().await;
    let file = db.url.strip_prefix("sqlite:").expect("sqlite url");
    let read_only = ReadOnlyFile::new(std::path::Path::new(file));
    let app = spawn_server(&db, |_| {}).await;

    let (status, retry, body) = health(&app).await;
    assert_eq!((status, retry.as_deref()), (503, Some("5")), "{body}");
    assert_eq!(body["store"]["read"], "ok", "{body}");
    assert_ne!(body["store"]["write"], "ok", "{body}");

    let event = case_in_hanoi("ro-1", "01-KV01-2027-990041");
    let (status, retry, body) = post(&app, vec![event.clone()]).await;
    assert_eq!((status, retry.as_deref()), (503, Some("5")), "{body}");
    let message = body["error"].as_str().expect("error");
    assert!(
        message.contains("không có sự kiện nào được lưu") && message.contains("chỉ đọc"),
        "a Vietnamese message that says nothing was stored and why: {message}"
    );

    drop(read_only);
    health_becomes(&app, 200).await;
    let (status, _, body) = post(&app, vec![event]).await;
    assert_eq!(status, 200, "writable again, without a restart: {body}");
    assert_eq!(body["accepted"], 1);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs PostgreSQL: scripts/test.sh runs it with TEST_DATABASE_URL"]
async fn a_replica_cut_off_from_its_database_says_so_and_catches_up() {
    let db = TestDb::postgres_required().await;
    seeded_store(&db, 0.001).await.close().await;
    let proxy = Proxy::start(&db.url).await;
    let writer = spawn_app(&db).await;
    let replica = spawn_app_with(&db, |cfg| cfg.database_url = proxy.url.clone()).await;
    assert_eq!(health(&replica).await.0, 200);
    let mut stream = Events::open(&replica, "", None).await;
    let (id, before) = stream.next().await;
    assert_eq!(version(&id), 0);

    proxy.cut();
    // The other instance keeps ingesting while this one cannot see the database; the
    // notifications sent meanwhile never reach it.
    register_case_in_hanoi(&writer, "cut-1", "01-KV01-2027-990051").await;
    register_case_in_hanoi(&writer, "cut-2", "01-KV01-2027-990052").await;

    let (event, _, status) = stream.next_any().await;
    assert_eq!(
        (event.as_str(), &status["stale"]),
        ("status", &Value::from(true)),
        "{status}"
    );
    let (code, retry, body) = health(&replica).await;
    assert_eq!((code, retry.as_deref()), (503, Some("5")), "{body}");
    assert_eq!(body["feed"]["stale"], true, "{body}");

    proxy.restore();
    // Both, in either order: the figures are live again, and the two changes are applied.
    let (mut live_again, mut caught_up) = (false, None);
    while !live_again || caught_up.is_none() {
        let (event, id, data) = stream.next_any().await;
        match event.as_str() {
            "status" => live_again = data["stale"] == false,
            "kpi" if version(&id) == 2 => caught_up = Some(data),
            _ => {}
        }
    }
    let caught_up = caught_up.expect("version 2");
    assert_eq!(
        caught_up["national"]["cases_to_enforce"].as_u64(),
        before["national"]["cases_to_enforce"]
            .as_u64()
            .map(|p| p + 2),
        "both changes made while cut off are applied"
    );
    health_becomes(&replica, 200).await;
    let (_, on_writer) = first_event(&writer, "", None).await;
    let (_, on_replica) = first_event(&replica, "", None).await;
    assert_eq!(on_replica["national"], on_writer["national"]);
    assert_eq!(on_replica["provinces"], on_writer["provinces"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_committed_without_a_wake_up_is_applied_by_polling() {
    for db in TestDb::all().await {
        let store = seeded_store(&db, 0.001).await;
        let app = spawn_app(&db).await;
        let mut stream = Events::open(&app, "", None).await;
        let (id, _) = stream.next().await;
        assert_eq!(version(&id), 0);
        // Another process's write: a row and its log entry, no notification, no wake-up.
        let silent =
            "UPDATE viec_thi_hanh SET so_tien_da_thi_hanh = so_tien_da_thi_hanh WHERE id = 1";
        exec(&store, silent).await.expect("update");
        exec(
            &store,
            "INSERT INTO change_log (pos, changes, committed_at) \
             VALUES (1, '[{\"table\":\"viec_thi_hanh\",\"ids\":[1]}]', '2026-11-20T00:00:00Z')",
        )
        .await
        .expect("log");
        let (id, after) = stream.next().await;
        assert_eq!(version(&id), 1, "the poll found the logged change");
        assert_eq!(after["base"], 0);
        store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_resuming_on_another_replica_gets_that_replicas_snapshot() {
    let db = TestDb::sqlite();
    seeded_store(&db, 0.001).await.close().await;
    let (a, b) = (spawn_app(&db).await, spawn_app(&db).await);
    let mut on_a = Events::open(&a, "", None).await;
    on_a.next().await;
    register_case_in_hanoi(&a, "rep-1", "01-KV01-2027-990061").await;
    let (id_a, delta) = on_a.next().await;
    assert_eq!((version(&id_a), &delta["kind"]), (1, &Value::from("delta")));
    // B applies the same position (it polls the shared log).
    let mut on_b = Events::open(&b, "", None).await;
    let (mut id_b, mut data) = on_b.next().await;
    while version(&id_b) < 1 {
        (id_b, data) = on_b.next().await;
    }
    // The same version number from another process is never taken as current: B sends its
    // own snapshot at once.
    let (id, resumed) = first_event(&b, "", Some(&id_a)).await;
    assert_eq!(version(&id), 1);
    assert_ne!(id, id_a);
    assert_eq!(resumed["kind"], "snapshot");
    assert_eq!(resumed["national"], data["national"]);
    let (_, on_a_now) = first_event(&a, "", None).await;
    assert_eq!(
        resumed["national"], on_a_now["national"],
        "both replicas agree"
    );
}
