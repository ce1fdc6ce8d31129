//! `GET /api/live`: the KPI snapshot as server-sent events.

use crate::helpers::{spawn_app, TestApp, TestDb};
use chrono::NaiveDate;
use server::seed::{self, Params};
use std::time::Duration;

/// Reads the stream until one whole event has arrived; returns (id, data).
async fn first_event(
    app: &TestApp,
    query: &str,
    last_event_id: Option<&str>,
) -> (String, serde_json::Value) {
    let mut req = app.client.get(format!("{}/api/live{query}", app.base));
    if let Some(id) = last_event_id {
        req = req.header("Last-Event-ID", id);
    }
    let mut resp = req.send().await.expect("live");
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .expect("ct")
        .starts_with("text/event-stream"));
    let mut text = String::new();
    while !text.contains("\n\n") || !text.contains("data:") {
        let chunk = tokio::time::timeout(Duration::from_secs(10), resp.chunk())
            .await
            .expect("an event within 10 s")
            .expect("chunk")
            .expect("stream open");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    assert_eq!(field("event"), "kpi", "{text}");
    (
        field("id"),
        serde_json::from_str(&field("data")).expect("json data"),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn live_sends_a_scoped_snapshot_first() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
        seed::run(
            &store,
            &Params {
                seed: 42,
                as_of,
                scale: 0.002,
            },
            false,
        )
        .await
        .expect("seed");
        store.close().await;
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
    let store = db.store().await;
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
    seed::run(
        &store,
        &Params {
            seed: 42,
            as_of,
            scale: 0.001,
        },
        false,
    )
    .await
    .expect("seed");
    store.close().await;
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
