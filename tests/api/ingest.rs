//! `POST /api/events` against the real server on every store: a batch is applied atomically and
//! logged on the change feed, re-sent ids are acknowledged once, a bad event stores nothing.

use crate::helpers::{
    scalar_f64, seeded_store, spawn_app, spawn_app_with, text_rows, TestApp, TestDb,
};
use queries::schema::Table;
use serde_json::{json, Value};
use server::store::Store;

const TOKEN: &str = "test-ingest-token";

/// A seeded database and a server on it; the store stays open for assertions.
async fn seeded(db: &TestDb) -> (TestApp, Store) {
    let store = seeded_store(db, 0.001).await;
    (spawn_app(db).await, store)
}

async fn post(app: &TestApp, body: &Value, token: Option<&str>) -> (u16, Value) {
    let mut req = app
        .client
        .post(format!("{}/api/events", app.base))
        .json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("post");
    let status = res.status().as_u16();
    let text = res.text().await.expect("body");
    let json = serde_json::from_str(&text).unwrap_or_else(|_| json!({ "raw": text }));
    (status, json)
}

async fn one(store: &Store, sql: &str) -> String {
    text_rows(store, sql)
        .await
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no row: {sql}"))
}

/// Row counts of every canonical table plus `ingested_events`.
async fn counts(store: &Store) -> Vec<i64> {
    let mut out = Vec::new();
    for t in Table::ALL {
        out.push(store.count_rows(t).await.expect("count"));
    }
    out.push(scalar_f64(store, "SELECT COUNT(*) FROM ingested_events").await as i64);
    out
}

/// A case in `dang_thi_hanh` with at least `min_left` đồng still to collect.
async fn running_case(store: &Store, min_left: i64) -> String {
    one(
        store,
        &format!(
            "SELECT ma_viec FROM viec_thi_hanh WHERE trang_thai = 'dang_thi_hanh' \
             AND so_tien_phai_thi_hanh - so_tien_da_thi_hanh >= {min_left} ORDER BY id LIMIT 1"
        ),
    )
    .await
}

fn party(loai: &str, ho_ten: &str) -> Value {
    json!({"loai": loai, "ho_ten": ho_ten})
}

#[tokio::test(flavor = "multi_thread")]
async fn a_valid_batch_is_applied_and_published() {
    for db in TestDb::all().await {
        let (app, store) = seeded(&db).await;
        let office = one(
            &store,
            "SELECT ma FROM don_vi WHERE cap = 'khu_vuc' ORDER BY id LIMIT 1",
        )
        .await;
        let (ma_tinh, short) = (&office[1..3], &office[4..]);
        let ma_viec = format!("{ma_tinh}-{short}-2026-900001");
        let logged_before = server::feed::head(&store).await.expect("head");
        let batch = json!({"events": [
            {"type": "case_registered", "id": "ev-1", "don_vi": office, "ma_viec": ma_viec,
             "loai_an": "ds", "hinh_thuc": "theo_yeu_cau", "ngay_thu_ly": "2026-11-16",
             "so_tien_phai_thi_hanh": 1_000_000,
             "nguoi_phai_thi_hanh": party("ca_nhan", "Nguyễn Văn A"),
             "nguoi_duoc_thi_hanh": party("doanh_nghiep", "Công ty B")},
            {"type": "enforcement_decision", "id": "ev-2", "ma_viec": ma_viec,
             "so_quyet_dinh": "9001/QĐ-THADS", "ngay_ky": "2026-11-17"},
            {"type": "payment", "id": "ev-3", "ma_viec": ma_viec, "so_tien": 400_000,
             "ngay_thu": "2026-11-18", "kenh_gui": "sms"},
            {"type": "verification_result", "id": "ev-4", "ma_viec": ma_viec,
             "ngay_xac_minh": "2026-11-18", "co_dieu_kien": true},
            {"type": "enforcement_measure", "id": "ev-5", "ma_viec": ma_viec, "nhom": "bao_dam",
             "loai": "phong_toa_tai_khoan", "ngay_thuc_hien": "2026-11-19"},
            {"type": "payment", "id": "ev-6", "ma_viec": ma_viec, "so_tien": 600_000,
             "ngay_thu": "2026-11-19", "kenh_gui": "email"},
            {"type": "status_change", "id": "ev-7", "ma_viec": ma_viec, "trang_thai": "xong",
             "ngay": "2026-11-20"},
            {"type": "complaint_received", "id": "ev-8", "don_vi": format!("T{ma_tinh}"),
             "ma_viec": ma_viec, "loai": "khieu_nai", "kenh": "vneid", "ngay_nhan": "2026-11-19"},
            {"type": "complaint_resolved", "id": "ev-9", "complaint_event_id": "ev-8",
             "ngay_giai_quyet": "2026-11-20", "ket_qua": "sai"},
        ]});
        let (status, body) = post(&app, &batch, Some(TOKEN)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            (body["accepted"].as_u64(), body["duplicates"].as_u64()),
            (Some(9), Some(0))
        );
        let viec_id = body["events"][0]["result"]["viec_id"]
            .as_i64()
            .expect("viec_id");

        let row = one(
            &store,
            &format!(
                "SELECT trang_thai || '|' || CAST(so_tien_da_thi_hanh AS TEXT) || '|' || \
                 CAST(co_dieu_kien AS TEXT) || '|' || CAST(ngay_ket_thuc AS TEXT) || '|' || \
                 CAST(ngay_ra_quyet_dinh AS TEXT) || '|' || CAST(nam_thong_ke AS TEXT) \
                 FROM viec_thi_hanh WHERE ma_viec = '{ma_viec}'"
            ),
        )
        .await;
        assert_eq!(
            row,
            "xong|1000000|1|2026-11-20|2026-11-17|2027",
            "{:?}",
            store.backend()
        );
        let n = |sql: String| {
            let store = store.clone();
            async move { scalar_f64(&store, &sql).await as i64 }
        };
        assert_eq!(
            n(format!(
                "SELECT COUNT(*) FROM duong_su WHERE viec_id = {viec_id}"
            ))
            .await,
            2
        );
        assert_eq!(
            n(format!(
                "SELECT COUNT(*) FROM quyet_dinh WHERE viec_id = {viec_id}"
            ))
            .await,
            1
        );
        assert_eq!(
            n(format!(
                "SELECT COUNT(*) FROM bien_phap_cuong_che WHERE viec_id = {viec_id}"
            ))
            .await,
            1
        );
        let receipts = text_rows(
            &store,
            &format!("SELECT so_bien_lai FROM bien_lai WHERE viec_id = {viec_id} ORDER BY id"),
        )
        .await;
        assert_eq!(receipts.len(), 2);
        for r in &receipts {
            assert!(
                r.starts_with(&format!("BL{ma_tinh}-2026-")) && r.len() == 17,
                "{r}"
            );
        }
        assert_ne!(receipts[0], receipts[1]);
        assert_eq!(
            one(
                &store,
                &format!("SELECT trang_thai FROM don_thu WHERE viec_id = {viec_id}")
            )
            .await,
            "da_giai_quyet"
        );
        assert_eq!(n("SELECT COUNT(*) FROM ingested_events".into()).await, 9);

        let logged = server::feed::read_after(&store, logged_before, 10)
            .await
            .expect("change log");
        assert_eq!(logged.to, logged_before + 1, "one batch, one change set");
        let changes = logged.changes;
        let ids = |t: Table| {
            changes
                .rows
                .iter()
                .find(|r| r.table == t)
                .map(|r| r.ids.clone())
                .unwrap_or_default()
        };
        assert_eq!(ids(Table::ViecThiHanh), vec![viec_id]);
        assert_eq!(ids(Table::DuongSu).len(), 2);
        assert_eq!(ids(Table::BienLai).len(), 2);
        assert_eq!(ids(Table::QuyetDinh).len(), 1);
        assert_eq!(ids(Table::BienPhapCuongChe).len(), 1);
        assert_eq!(ids(Table::DonThu).len(), 1);
        store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn resent_events_are_acknowledged_and_not_applied_twice() {
    for db in TestDb::all().await {
        let (app, store) = seeded(&db).await;
        let ma_viec = running_case(&store, 2_000).await;
        let paid_sql =
            format!("SELECT so_tien_da_thi_hanh FROM viec_thi_hanh WHERE ma_viec = '{ma_viec}'");
        let paid_before = scalar_f64(&store, &paid_sql).await;
        let receipts_before = store.count_rows(Table::BienLai).await.expect("count");
        let pay = |id: &str, so_tien: i64| {
            json!({"type": "payment", "id": id, "ma_viec": ma_viec, "so_tien": so_tien,
                   "ngay_thu": "2026-11-20", "kenh_gui": "sms"})
        };
        let first = json!({"events": [pay("pay-1", 1_000)]});
        let (status, body) = post(&app, &first, Some(TOKEN)).await;
        assert_eq!(
            (status, body["accepted"].as_u64()),
            (200, Some(1)),
            "{body}"
        );
        let receipt = body["events"][0]["result"]["so_bien_lai"].clone();

        let (status, body) = post(&app, &first, Some(TOKEN)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            (body["accepted"].as_u64(), body["duplicates"].as_u64()),
            (Some(0), Some(1))
        );
        assert_eq!(body["events"][0]["status"], "duplicate");
        assert_eq!(
            body["events"][0]["result"]["so_bien_lai"], receipt,
            "same keys as the first time"
        );

        let mixed = json!({"events": [pay("pay-1", 1_000), pay("pay-2", 500)]});
        let (status, body) = post(&app, &mixed, Some(TOKEN)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            (body["accepted"].as_u64(), body["duplicates"].as_u64()),
            (Some(1), Some(1))
        );

        assert_eq!(scalar_f64(&store, &paid_sql).await, paid_before + 1_500.0);
        assert_eq!(
            store.count_rows(Table::BienLai).await.expect("count"),
            receipts_before + 2
        );

        let reused = json!({"events": [pay("pay-1", 999)]});
        let (status, body) = post(&app, &reused, Some(TOKEN)).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(
            (body["event_index"].as_u64(), body["field"].as_str()),
            (Some(0), Some("id"))
        );
        store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_with_one_bad_event_stores_nothing() {
    for db in TestDb::all().await {
        let (app, store) = seeded(&db).await;
        let ma_viec = running_case(&store, 2_000).await;
        let left = scalar_f64(
            &store,
            &format!(
                "SELECT so_tien_phai_thi_hanh - so_tien_da_thi_hanh FROM viec_thi_hanh \
                 WHERE ma_viec = '{ma_viec}'"
            ),
        )
        .await as i64;
        let office = one(
            &store,
            "SELECT ma FROM don_vi WHERE cap = 'tinh' ORDER BY id LIMIT 1",
        )
        .await;
        let before = counts(&store).await;
        let logged_before = server::feed::head(&store).await.expect("head");
        let good = [
            json!({"type": "payment", "id": "b-0", "ma_viec": ma_viec, "so_tien": 1_000,
                   "ngay_thu": "2026-11-20", "kenh_gui": "sms"}),
            json!({"type": "complaint_received", "id": "b-1", "don_vi": office, "loai": "kien_nghi",
                   "kenh": "qr", "ngay_nhan": "2026-11-20"}),
            json!({"type": "enforcement_measure", "id": "b-2", "ma_viec": ma_viec,
                   "nhom": "cuong_che", "loai": "khau_tru_tai_khoan", "ngay_thuc_hien": "2026-11-20"}),
        ];
        // Event 3 asks for more than is left once event 0 has been applied.
        let mut events = good.to_vec();
        events.push(
            json!({"type": "payment", "id": "b-3", "ma_viec": ma_viec, "so_tien": left,
                           "ngay_thu": "2026-11-20", "kenh_gui": "sms"}),
        );
        let (status, body) = post(&app, &json!({ "events": events }), Some(TOKEN)).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(
            (body["event_index"].as_u64(), body["field"].as_str()),
            (Some(3), Some("so_tien"))
        );
        assert!(
            body["error"].as_str().is_some_and(|e| e.contains("#3")),
            "{body}"
        );
        assert!(body["reason"].as_str().is_some_and(|r| !r.is_empty()));

        // A field error found before any write, also naming index and field.
        let mut events = good.to_vec();
        events.insert(
            1,
            json!({"type": "payment", "id": "b-x", "ma_viec": ma_viec,
                                "so_tien": "nhiều", "ngay_thu": "2026-11-20", "kenh_gui": "sms"}),
        );
        let (status, body) = post(&app, &json!({ "events": events }), Some(TOKEN)).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(
            (body["event_index"].as_u64(), body["field"].as_str()),
            (Some(1), Some("so_tien"))
        );

        // The same id twice in one batch.
        let mut events = good.to_vec();
        events.push(good[0].clone());
        let (status, body) = post(&app, &json!({ "events": events }), Some(TOKEN)).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(
            (body["event_index"].as_u64(), body["field"].as_str()),
            (Some(3), Some("id"))
        );

        assert_eq!(
            counts(&store).await,
            before,
            "nothing stored on {:?}",
            store.backend()
        );
        assert_eq!(
            server::feed::head(&store).await.expect("head"),
            logged_before,
            "nothing logged"
        );

        // The good part alone goes through.
        let (status, body) = post(&app, &json!({ "events": good }), Some(TOKEN)).await;
        assert_eq!(
            (status, body["accepted"].as_u64()),
            (200, Some(3)),
            "{body}"
        );
        store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn illegal_transitions_are_rejected_with_a_reason() {
    for db in TestDb::all().await {
        let (app, store) = seeded(&db).await;
        let waiting = one(
            &store,
            "SELECT ma_viec FROM viec_thi_hanh WHERE trang_thai = 'cho_ra_quyet_dinh' ORDER BY id LIMIT 1",
        )
        .await;
        let running = running_case(&store, 2_000).await;
        let done = one(
            &store,
            "SELECT ma_viec FROM viec_thi_hanh WHERE trang_thai = 'xong' ORDER BY id LIMIT 1",
        )
        .await;
        let change = |ma: &str, to: &str| {
            json!({"events": [{"type": "status_change", "id": format!("s-{ma}-{to}"), "ma_viec": ma,
                               "trang_thai": to, "ngay": "2026-11-20", "so_quyet_dinh": "1/QĐ-THADS"}]})
        };
        for (ma, to) in [
            (&waiting, "hoan"),
            (&running, "tiep_tuc"),
            (&running, "xong"),
            (&done, "dinh_chi"),
        ] {
            let (status, body) = post(&app, &change(ma, to), Some(TOKEN)).await;
            assert_eq!(status, 422, "{ma} → {to}: {body}");
            assert_eq!(body["field"], "trang_thai", "{body}");
            assert_eq!(body["event_index"], 0);
        }
        let pay_done = json!({"events": [{"type": "payment", "id": "p-done", "ma_viec": done,
            "so_tien": 1, "ngay_thu": "2026-11-20", "kenh_gui": "sms"}]});
        let (status, body) = post(&app, &pay_done, Some(TOKEN)).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (422, Some("ma_viec")),
            "{body}"
        );
        let qd_twice = json!({"events": [{"type": "enforcement_decision", "id": "qd-2",
            "ma_viec": running, "so_quyet_dinh": "2/QĐ-THADS", "ngay_ky": "2026-11-20"}]});
        let (status, body) = post(&app, &qd_twice, Some(TOKEN)).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (422, Some("ma_viec")),
            "{body}"
        );
        let too_early = json!({"events": [{"type": "status_change", "id": "early", "ma_viec": running,
            "trang_thai": "hoan", "ngay": "2010-01-01", "so_quyet_dinh": "3/QĐ-THADS"}]});
        let (status, body) = post(&app, &too_early, Some(TOKEN)).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (422, Some("ngay")),
            "{body}"
        );

        // A legal round trip: hoãn, then tiếp tục.
        let (status, body) = post(&app, &change(&running, "hoan"), Some(TOKEN)).await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = post(&app, &change(&running, "tiep_tuc"), Some(TOKEN)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            one(
                &store,
                &format!("SELECT trang_thai FROM viec_thi_hanh WHERE ma_viec = '{running}'")
            )
            .await,
            "dang_thi_hanh"
        );
        store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_json_and_schema() {
    let db = TestDb::sqlite();
    let app = spawn_app(&db).await;
    let batch = json!({"events": [{"type": "complaint_resolved", "id": "x", "don_thu_id": 1,
                                   "ngay_giai_quyet": "2026-11-20", "ket_qua": "dung"}]});
    for token in [None, Some("wrong")] {
        let (status, body) = post(&app, &batch, token).await;
        assert_eq!(status, 401, "{body}");
        assert!(
            body["error"]
                .as_str()
                .is_some_and(|e| e.contains("Authorization")),
            "{body}"
        );
    }
    let res = app
        .client
        .post(format!("{}/api/events", app.base))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body("{\"events\": [")
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.expect("json error body");
    assert!(
        body["error"].as_str().is_some_and(|e| e.contains("JSON")),
        "{body}"
    );

    let unknown = json!({"events": [{"type": "bogus", "id": "u"}]});
    let (status, body) = post(&app, &unknown, Some(TOKEN)).await;
    assert_eq!(
        (status, body["event_index"].as_u64(), body["field"].as_str()),
        (400, Some(0), Some("type"))
    );

    // A valid event about a petition that does not exist: 422, nothing stored.
    let (status, body) = post(&app, &batch, Some(TOKEN)).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("don_thu_id")),
        "{body}"
    );

    let schema: Value = app
        .client
        .get(format!("{}/api/events/schema", app.base))
        .send()
        .await
        .expect("schema")
        .json()
        .await
        .expect("schema json");
    let variants = schema["properties"]["events"]["items"]["oneOf"]
        .as_array()
        .expect("oneOf");
    assert_eq!(variants.len(), 8);

    let off = spawn_app_with(&db, |cfg| cfg.ingest_token = None).await;
    let (status, body) = post(&off, &batch, Some(TOKEN)).await;
    assert_eq!(status, 503, "{body}");
}
