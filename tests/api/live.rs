//! `GET /api/live`: the KPI snapshot, versioned deltas and alerts as server-sent events;
//! resumption; heartbeats; a restart rebuilding the same numbers.

use crate::helpers::{seeded_store, spawn_app, spawn_app_with, version, Events, TestApp, TestDb};
use serde_json::Value;
use std::time::Duration;

pub(crate) async fn first_event(
    app: &TestApp,
    query: &str,
    last_event_id: Option<&str>,
) -> (String, serde_json::Value) {
    Events::open(app, query, last_event_id).await.next().await
}

#[tokio::test(flavor = "multi_thread")]
async fn live_sends_a_scoped_snapshot_first() {
    for db in TestDb::all().await {
        seeded_store(&db, 0.002).await.close().await;
        let app = spawn_app(&db).await;

        let (id, data) = first_event(&app, "", None).await;
        assert_eq!(version(&id), 0, "a seeded store has logged no change");
        assert_eq!(data["kind"], "snapshot");
        assert_eq!(data["as_of"], "2026-11-20");
        assert_eq!(data["overdue"].as_array().expect("overdue").len(), 16);
        assert!(data["alerts"].as_array().expect("alerts").is_empty());
        assert!(data["national"]["cases_to_enforce"].as_u64().expect("P") > 0);
        assert_eq!(data["provinces"].as_array().expect("provinces").len(), 34);
        assert!(data["offices"].as_array().expect("offices").is_empty());

        let (_, data) = first_event(&app, "?scope=province:01", None).await;
        let provinces = data["provinces"].as_array().expect("provinces");
        assert_eq!(provinces.len(), 1);
        assert_eq!(provinces[0]["ma_tinh"], "01");
        let offices = data["offices"].as_array().expect("offices");
        assert!(
            offices.len() >= 18,
            "Hà Nội has 18 regional offices and its provincial office"
        );
        assert!(offices.iter().all(|o| o["ma_tinh"] == "01"));

        let bad = app
            .client
            .get(format!("{}/api/live?scope=province:99", app.base))
            .send()
            .await
            .expect("bad");
        assert_eq!(bad.status(), 400);
        assert!(bad.text().await.expect("body").contains("province:99"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resumed_stream_skips_the_snapshot_it_already_has() {
    let db = TestDb::sqlite();
    seeded_store(&db, 0.001).await.close().await;
    let app = spawn_app(&db).await;
    let (id, _) = first_event(&app, "", None).await;
    let mut resp = app
        .client
        .get(format!("{}/api/live", app.base))
        .header("Last-Event-ID", &id)
        .send()
        .await
        .expect("live");
    assert_eq!(resp.status(), 200);
    // Nothing new was published: no event arrives (heartbeats come every 15 s).
    let waited = tokio::time::timeout(Duration::from_millis(1500), resp.chunk()).await;
    assert!(
        waited.is_err(),
        "no snapshot is re-sent for the version the client has"
    );
    // Another id gets the current snapshot at once: an unknown one, an id without an
    // instance, and the same version from another process (a restart, another replica).
    let (at, instance) = id.split_once('-').expect("<version>-<instance>");
    let other = format!(
        "{at}-{:x}",
        u64::from_str_radix(instance, 16).expect("hex") ^ 1
    );
    for stale in ["0-0", at, other.as_str()] {
        let (again, data) = first_event(&app, "", Some(stale)).await;
        assert_eq!(
            (again.as_str(), &data["kind"]),
            (id.as_str(), &Value::from("snapshot")),
            "{stale}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ingested_event_reaches_connected_clients_without_reconnecting() {
    for db in TestDb::all().await {
        seeded_store(&db, 0.001).await.close().await;
        let app = spawn_app(&db).await;
        let mut events = Events::open(&app, "", None).await;
        let (id, before) = events.next().await;
        assert_eq!(version(&id), 0);
        let cases_before = before["national"]["cases_to_enforce"].as_u64().expect("P");

        register_case_in_hanoi(&app, "live-1", "01-KV01-2027-990001").await;

        let (id, after) = events.next().await;
        assert_eq!(version(&id), 1, "the batch's change-log position");
        assert_eq!(after["kind"], "delta");
        assert_eq!(after["base"], 0);
        assert_eq!(
            after["national"]["cases_to_enforce"].as_u64().expect("P"),
            cases_before + 1
        );
        // Only what changed: Hà Nội, not the 33 other provinces.
        let provinces = after["provinces"].as_array().expect("provinces");
        assert_eq!(provinces.len(), 1, "{provinces:?}");
        let hanoi = &provinces[0];
        assert_eq!(hanoi["ma_tinh"], "01");
        let before_hanoi = before["provinces"]
            .as_array()
            .expect("provinces")
            .iter()
            .find(|p| p["ma_tinh"] == "01")
            .expect("Hà Nội");
        assert_eq!(
            hanoi["cases_new"].as_u64().expect("K6"),
            before_hanoi["cases_new"].as_u64().expect("K6") + 1
        );
    }
}

pub(crate) fn case_in_hanoi(event_id: &str, ma_viec: &str) -> Value {
    serde_json::json!({
        "type": "case_registered", "id": event_id, "don_vi": "T01-KV01",
        "ma_viec": ma_viec, "loai_an": "ds", "hinh_thuc": "theo_yeu_cau",
        "ngay_thu_ly": "2026-11-19", "so_tien_phai_thi_hanh": 5_000_000,
        "nguoi_phai_thi_hanh": {"loai": "ca_nhan", "ho_ten": "Trần Văn C"},
        "nguoi_duoc_thi_hanh": {"loai": "ca_nhan", "ho_ten": "Lê Thị D"}
    })
}

/// Registers one new case at `T01-KV01` through the ingest API.
pub(crate) async fn register_case_in_hanoi(app: &TestApp, event_id: &str, ma_viec: &str) {
    post_events(app, vec![case_in_hanoi(event_id, ma_viec)]).await;
}

/// Posts a batch of events; it must be accepted.
async fn post_events(app: &TestApp, events: Vec<Value>) {
    let batch = serde_json::json!({ "events": events });
    let posted = app
        .client
        .post(format!("{}/api/events", app.base))
        .bearer_auth("test-ingest-token")
        .json(&batch)
        .send()
        .await
        .expect("post");
    let status = posted.status();
    assert_eq!(status, 200, "{}", posted.text().await.unwrap_or_default());
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs PostgreSQL: scripts/test.sh runs it with TEST_DATABASE_URL"]
async fn an_event_ingested_on_one_instance_reaches_clients_of_another() {
    let db = TestDb::postgres_required().await;
    seeded_store(&db, 0.001).await.close().await;
    let (writer, reader) = (spawn_app(&db).await, spawn_app(&db).await);
    let mut events = Events::open(&reader, "", None).await;
    let (id, before) = events.next().await;
    assert_eq!(version(&id), 0);
    let cases_before = before["national"]["cases_to_enforce"].as_u64().expect("P");

    register_case_in_hanoi(&writer, "peer-1", "01-KV01-2027-990002").await;

    let (id, after) = events.next().await;
    assert_eq!(version(&id), 1, "the other instance applied the change");
    assert_eq!(
        after["national"]["cases_to_enforce"].as_u64().expect("P"),
        cases_before + 1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn alerts_reach_the_clients_in_scope_before_the_delta() {
    let db = TestDb::sqlite();
    seeded_store(&db, 0.001).await.close().await;
    // A low threshold, so a small payment on a new case is "large".
    let app = spawn_app_with(&db, |cfg| cfg.alert_large_payment_dong = 1_000_000).await;
    let mut national = Events::open(&app, "", None).await;
    let mut hanoi = Events::open(&app, "?scope=province:01", None).await;
    let mut hcm = Events::open(&app, "?scope=province:79", None).await;
    for stream in [&mut national, &mut hanoi, &mut hcm] {
        let (id, data) = stream.next().await;
        assert_eq!((version(&id), &data["kind"]), (0, &Value::from("snapshot")));
    }
    let ma_viec = "01-KV01-2027-990010";
    post_events(
        &app,
        vec![
            case_in_hanoi("al-1", ma_viec),
            // Signed digitally: an unsigned decision would be a new QH16 breach.
            serde_json::json!({"type": "enforcement_decision", "id": "al-0",
                "ma_viec": ma_viec, "so_quyet_dinh": "9910/QĐ-THADS",
                "ngay_ky": "2026-11-20", "ky_so": true}),
            serde_json::json!({"type": "payment", "id": "al-2", "ma_viec": ma_viec,
                "so_tien": 2_500_000, "ngay_thu": "2026-11-20", "kenh_gui": "email"}),
            serde_json::json!({"type": "payment", "id": "al-3", "ma_viec": ma_viec,
                "so_tien": 999_999, "ngay_thu": "2026-11-20", "kenh_gui": "sms"}),
            serde_json::json!({"type": "complaint_received", "id": "al-4", "don_vi": "T01-KV01",
                "ma_viec": ma_viec, "loai": "khieu_nai", "kenh": "vneid",
                "ngay_nhan": "2026-11-20"}),
            serde_json::json!({"type": "complaint_received", "id": "al-5", "don_vi": "T01-KV01",
                "ma_viec": ma_viec, "loai": "kien_nghi", "kenh": "vneid",
                "ngay_nhan": "2026-11-20"}),
        ],
    )
    .await;
    for stream in [&mut national, &mut hanoi] {
        let mut kinds = Vec::new();
        loop {
            let (event, id, data) = stream.next_any().await;
            if event == "kpi" {
                assert_eq!((version(&id), &data["kind"]), (1, &Value::from("delta")));
                let in_delta = data["alerts"].as_array().expect("alerts").len();
                assert_eq!(in_delta, kinds.len(), "the delta lists the same alerts");
                break;
            }
            assert_eq!(data["ma_tinh"], "01");
            assert_eq!(data["ten_tinh"], "Hà Nội");
            assert_eq!(data["version"], 1);
            if data["kind"] == "large_payment" {
                assert_eq!(data["amount"], 2_500_000);
                assert_eq!(data["title"], "Khoản thu lớn: 2.500.000 đồng");
            }
            kinds.push(data["kind"].as_str().expect("kind").to_string());
        }
        kinds.sort();
        assert_eq!(kinds, vec!["large_payment", "new_complaint"]);
    }
    // Hồ Chí Minh sees no Hà Nội alert: its next event is the delta.
    let (event, id, data) = hcm.next_any().await;
    assert_eq!((event.as_str(), version(&id)), ("kpi", 1));
    assert!(data["alerts"].as_array().expect("alerts").is_empty());
    assert!(data["provinces"].as_array().expect("provinces").is_empty());

    // A client connecting now gets the recent alerts, then the snapshot listing them.
    let mut late = Events::open(&app, "", None).await;
    let (e1, _, _) = late.next_any().await;
    let (e2, _, _) = late.next_any().await;
    let (e3, id, snap) = late.next_any().await;
    assert_eq!(
        (e1.as_str(), e2.as_str(), e3.as_str()),
        ("alert", "alert", "kpi")
    );
    assert_eq!((version(&id), &snap["kind"]), (1, &Value::from("snapshot")));
    assert_eq!(snap["alerts"].as_array().expect("alerts").len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resumed_stream_replays_the_deltas_it_missed() {
    let db = TestDb::sqlite();
    seeded_store(&db, 0.001).await.close().await;
    let app = spawn_app(&db).await;
    let mut events = Events::open(&app, "", None).await;
    let (id1, v1) = events.next().await;
    register_case_in_hanoi(&app, "rs-1", "01-KV01-2027-990021").await;
    let (id, _) = events.next().await;
    assert_eq!(version(&id), 1);
    register_case_in_hanoi(&app, "rs-2", "01-KV01-2027-990022").await;
    let (id3, v3) = events.next().await;
    assert_eq!(version(&id3), 2);

    // Reconnecting with the id of the first version: the two deltas, nothing else.
    let mut resumed = Events::open(&app, "", Some(&id1)).await;
    let (id, d2) = resumed.next().await;
    assert_eq!(
        (version(&id), &d2["kind"], &d2["base"]),
        (1, &Value::from("delta"), &Value::from(0))
    );
    let (id, d3) = resumed.next().await;
    assert_eq!((id.as_str(), &d3["base"]), (id3.as_str(), &Value::from(1)));
    assert_eq!(d3["national"], v3["national"]);
    let p1 = v1["national"]["cases_to_enforce"].as_u64().expect("P");
    assert_eq!(d2["national"]["cases_to_enforce"].as_u64(), Some(p1 + 1));
    assert_eq!(d3["national"]["cases_to_enforce"].as_u64(), Some(p1 + 2));

    // An id the server never published: a snapshot of the latest version.
    let (id, snap) = first_event(&app, "", Some("999")).await;
    assert_eq!(
        (id.as_str(), &snap["kind"]),
        (id3.as_str(), &Value::from("snapshot"))
    );
    assert_eq!(snap["national"], v3["national"]);
}

/// The scoped snapshot without what differs between runs (version, timing).
fn figures(mut v: Value) -> Value {
    for key in ["version", "compute_ms", "alerts"] {
        v.as_object_mut().expect("object").remove(key);
    }
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_rebuilds_the_same_numbers() {
    for db in TestDb::all().await {
        seeded_store(&db, 0.002).await.close().await;
        let ma_viec = "01-KV01-2027-990031";
        let (last_id, country, hanoi) = {
            let app = spawn_app(&db).await;
            let mut events = Events::open(&app, "", None).await;
            events.next().await;
            post_events(
                &app,
                vec![
                    case_in_hanoi("rb-1", ma_viec),
                    serde_json::json!({"type": "enforcement_decision", "id": "rb-2",
                        "ma_viec": ma_viec, "so_quyet_dinh": "9901/QĐ-THADS",
                        "ngay_ky": "2026-11-20"}),
                    serde_json::json!({"type": "payment", "id": "rb-3", "ma_viec": ma_viec,
                        "so_tien": 700_000, "ngay_thu": "2026-11-20", "kenh_gui": "sms"}),
                    serde_json::json!({"type": "complaint_received", "id": "rb-4",
                        "don_vi": "T01-KV01", "ma_viec": ma_viec, "loai": "khieu_nai",
                        "kenh": "qr", "ngay_nhan": "2026-11-20"}),
                ],
            )
            .await;
            let (id, _) = events.next().await;
            assert_eq!(version(&id), 1);
            let (_, country) = first_event(&app, "", None).await;
            let (_, hanoi) = first_event(&app, "?scope=province:01", None).await;
            (id, country, hanoi)
        };
        // The first server is dropped (stopped); a new one loads the same database.
        let app = spawn_app(&db).await;
        // A screen reconnecting with the old process's id gets a snapshot at once: the same
        // version number, another process.
        let (id, country_after) = first_event(&app, "", Some(&last_id)).await;
        assert_eq!(
            version(&id),
            1,
            "versions are log positions: they survive a restart"
        );
        assert_ne!(id, last_id, "…and name the process that computed them");
        assert_eq!(country_after["kind"], "snapshot");
        let (_, hanoi_after) = first_event(&app, "?scope=province:01", None).await;
        assert_eq!(figures(country_after), figures(country));
        assert_eq!(figures(hanoi_after), figures(hanoi));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_ends_the_open_streams() {
    let db = TestDb::sqlite();
    seeded_store(&db, 0.001).await.close().await;
    let app = spawn_app(&db).await;
    let mut events = Events::open(&app, "", None).await;
    let (id, _) = events.next().await;
    assert_eq!(version(&id), 0);
    // Dropping the app cancels its shutdown token (what Ctrl-C does to `ioc serve`).
    drop(app);
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        // Until the body ends (cleanly or by the connection closing).
        while let Ok(Some(_)) = events.resp.chunk().await {}
    })
    .await;
    assert!(
        ended.is_ok(),
        "the stream ends at shutdown, not at the next heartbeat (every 15 s) or never"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_quiet_stream_sends_heartbeats() {
    let db = TestDb::sqlite();
    seeded_store(&db, 0.001).await.close().await;
    let app = spawn_app(&db).await;
    let mut events = Events::open(&app, "", None).await;
    let (id, _) = events.next().await;
    assert_eq!(version(&id), 0);
    // Nothing changes: the only thing on the wire is the heartbeat (an SSE comment line),
    // which keeps proxies from closing the connection and lets the page notice a dead server.
    let heartbeat = tokio::time::timeout(Duration::from_secs(25), async {
        while !events.buf.lines().any(|l| l.starts_with(':')) {
            let chunk = events.resp.chunk().await.expect("chunk").expect("open");
            events.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await;
    assert!(
        heartbeat.is_ok(),
        "a heartbeat within the 15 s interval: {:?}",
        events.buf
    );
}
