//! `GET /api/live`: the KPI snapshot as server-sent events.

use crate::helpers::{seeded_store, spawn_app, TestApp, TestDb};
use std::time::Duration;

/// An open `/api/live` response, read event by event.
struct Events {
    resp: reqwest::Response,
    buf: String,
}

impl Events {
    async fn open(app: &TestApp, query: &str, last_event_id: Option<&str>) -> Events {
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

    /// The next `kpi` event (heartbeat comments are skipped): (id, data).
    async fn next(&mut self) -> (String, serde_json::Value) {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(&format!("{name}:")))
                        .map(|v| v.trim().to_string())
                };
                if let (Some(event), Some(data)) = (field("event"), field("data")) {
                    assert_eq!(event, "kpi", "{block}");
                    let id = field("id").unwrap_or_default();
                    return (id, serde_json::from_str(&data).expect("json data"));
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(20), self.resp.chunk())
                .await
                .expect("an event within 20 s")
                .expect("chunk")
                .expect("stream open");
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

async fn first_event(
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
        assert_eq!(id, "1");
        assert_eq!(data["as_of"], "2026-11-20");
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
    let mut resp = app
        .client
        .get(format!("{}/api/live", app.base))
        .header("Last-Event-ID", "1")
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
    // Another id gets the current snapshot at once.
    let (id, _) = first_event(&app, "", Some("0")).await;
    assert_eq!(id, "1");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ingested_event_reaches_connected_clients_without_reconnecting() {
    for db in TestDb::all().await {
        seeded_store(&db, 0.001).await.close().await;
        let app = spawn_app(&db).await;
        let mut events = Events::open(&app, "", None).await;
        let (id, before) = events.next().await;
        assert_eq!(id, "1");
        let cases_before = before["national"]["cases_to_enforce"].as_u64().expect("P");

        register_case_in_hanoi(&app, "live-1", "01-KV01-2027-990001").await;

        let (id, after) = events.next().await;
        assert_eq!(id, "2");
        assert_eq!(
            after["national"]["cases_to_enforce"].as_u64().expect("P"),
            cases_before + 1
        );
        let hanoi = after["provinces"]
            .as_array()
            .expect("provinces")
            .iter()
            .find(|p| p["ma_tinh"] == "01")
            .expect("Hà Nội");
        assert!(hanoi["cases_new"].as_u64().expect("K6") >= 1);
    }
}

/// Registers one new case at `T01-KV01` through the ingest API.
async fn register_case_in_hanoi(app: &TestApp, event_id: &str, ma_viec: &str) {
    let batch = serde_json::json!({"events": [{
        "type": "case_registered", "id": event_id, "don_vi": "T01-KV01",
        "ma_viec": ma_viec, "loai_an": "ds", "hinh_thuc": "theo_yeu_cau",
        "ngay_thu_ly": "2026-11-19", "so_tien_phai_thi_hanh": 5_000_000,
        "nguoi_phai_thi_hanh": {"loai": "ca_nhan", "ho_ten": "Trần Văn C"},
        "nguoi_duoc_thi_hanh": {"loai": "ca_nhan", "ho_ten": "Lê Thị D"}
    }]});
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
async fn an_event_ingested_on_one_instance_reaches_clients_of_another() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("skipped: needs PostgreSQL (TEST_DATABASE_URL)");
        return;
    };
    seeded_store(&db, 0.001).await.close().await;
    let (writer, reader) = (spawn_app(&db).await, spawn_app(&db).await);
    let mut events = Events::open(&reader, "", None).await;
    let (id, before) = events.next().await;
    assert_eq!(id, "1");
    let cases_before = before["national"]["cases_to_enforce"].as_u64().expect("P");

    register_case_in_hanoi(&writer, "peer-1", "01-KV01-2027-990002").await;

    let (id, after) = events.next().await;
    assert_eq!(id, "2", "the other instance applied the change");
    assert_eq!(
        after["national"]["cases_to_enforce"].as_u64().expect("P"),
        cases_before + 1
    );
}
