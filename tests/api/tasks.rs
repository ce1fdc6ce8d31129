//! Tasks (issue 9): a command's draft stores nothing; a confirmed draft becomes a `nhiem_vu`
//! row with the command verbatim and its `nhiem_vu_viec` rows; the assignee sees it live and
//! updates status and progress with a comment; progress is also computed from the linked cases;
//! another province cannot see or update it (404) nor assign to it (403); the wall display may
//! not write; state-changing requests need the site's origin; everything is audited.

use crate::helpers::{client_with, seeded_store, spawn_app, text_rows, TestApp, TestDb};
use queries::access::Role;
use serde_json::{json, Value};
use std::time::Duration;

const COMMAND: &str = "Giao THADS TP Hà Nội rà soát 5 việc tồn đọng lâu nhất, báo cáo trước 15/12";

fn form() -> Value {
    json!({
        "command": COMMAND,
        "units": ["T01"],
        "loai_hanh_dong": "ra_soat",
        "tieu_de": "Rà soát 5 việc tồn đọng lâu nhất",
        "han_hoan_thanh": "2026-12-15",
        "so_luong": 5,
        "max_linked": null,
    })
}

async fn post(app: &TestApp, client: &reqwest::Client, path: &str, body: &Value) -> (u16, Value) {
    let resp = client
        .post(format!("{}{path}", app.base))
        .json(body)
        .send()
        .await
        .expect("post");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn get(app: &TestApp, client: &reqwest::Client, path: &str) -> (u16, Value) {
    let resp = client
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .expect("get");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    text_rows(&app.store, &format!("SELECT CAST(({sql}) AS TEXT)"))
        .await
        .first()
        .and_then(|s| s.parse().ok())
        .expect("a count")
}

async fn task_audit(app: &TestApp, outcome: &str) -> Vec<server::audit::Row> {
    server::audit::list(
        &app.store,
        &server::audit::Filter {
            action: Some("task".into()),
            outcome: Some(outcome.into()),
            page_size: 500,
            ..server::audit::Filter::default()
        },
    )
    .await
    .expect("audit")
    .0
}

/// Creates the Hà Nội task as the national leader; returns its id.
async fn create_hanoi_task(app: &TestApp) -> i64 {
    let (status, created) = post(app, &app.client, "/api/tasks", &form()).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["linked"], json!([5]), "{created}");
    created["ids"][0].as_i64().expect("id")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_confirmed_command_is_stored_tracked_and_updated_with_comments() {
    for db in TestDb::all().await {
        seeded_store(&db, 0.002).await.close().await;
        let app = spawn_app(&db).await;
        let tasks_before = count(&app, "SELECT COUNT(*) FROM nhiem_vu").await;

        // The question pipeline drafts the command and stores nothing.
        let resp = app
            .client
            .post(format!("{}/api/ask", app.base))
            .json(&json!({ "question": COMMAND }))
            .send()
            .await
            .expect("ask");
        let body = resp.text().await.expect("body");
        let answer = body
            .split("\n\n")
            .find_map(|b| {
                b.contains("event: answer").then(|| {
                    b.lines()
                        .filter_map(|l| l.strip_prefix("data:"))
                        .map(str::trim)
                        .collect::<String>()
                })
            })
            .expect("an answer event");
        let reply: app::wire::ask::AskReply = serde_json::from_str(&answer).expect("reply");
        assert_eq!(reply.kind, "task", "{}", reply.answer);
        let draft = reply.draft.expect("an editable draft");
        assert_eq!(draft.form.units, ["T01"]);
        assert_eq!(draft.form.han_hoan_thanh, "2026-12-15");
        assert_eq!(draft.linked, 5);
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM nhiem_vu").await,
            tasks_before
        );

        // Confirmed: the row, the command verbatim, its five cases, the baseline statuses.
        let id = create_hanoi_task(&app).await;
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM nhiem_vu").await,
            tasks_before + 1
        );
        let row = text_rows(
            &app.store,
            &format!(
                "SELECT cau_hoi_goc || '|' || trang_thai || '|' || CAST(tien_do AS TEXT) || '|' \
                 || CAST(han_hoan_thanh AS TEXT) || '|' || CAST(ngay_giao AS TEXT) FROM nhiem_vu WHERE id = {id}"
            ),
        )
        .await;
        assert_eq!(row, [format!("{COMMAND}|moi|0|2026-12-15|2026-11-20")]);
        let linked = text_rows(
            &app.store,
            &format!("SELECT CAST(viec_id AS TEXT) FROM nhiem_vu_viec WHERE nhiem_vu_id = {id} ORDER BY viec_id"),
        )
        .await;
        assert_eq!(linked.len(), 5);
        // They are the five oldest open cases of Hà Nội.
        let oldest = text_rows(
            &app.store,
            "SELECT CAST(id AS TEXT) FROM viec_thi_hanh WHERE ma_tinh = '01' \
             AND trang_thai NOT IN ('xong','dinh_chi','uy_thac') ORDER BY ngay_thu_ly, id LIMIT 5",
        )
        .await;
        let mut oldest = oldest;
        oldest.sort_by_key(|s| s.parse::<i64>().unwrap_or(0));
        assert_eq!(linked, oldest);

        // The assignee (Hà Nội's head) sees it and reports progress with a comment.
        let hn = app
            .login_as("test-tasks-hn", Role::TruongTinh, Some("T01"), None)
            .await;
        let (status, board) = get(&app, &hn, "/api/tasks?trang_thai=moi").await;
        assert_eq!(status, 200);
        assert!(board["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .any(|r| r["id"] == id));
        let (status, row) = post(
            &app,
            &hn,
            &format!("/api/tasks/{id}/progress"),
            &json!({"trang_thai": "dang_thuc_hien", "tien_do": 40, "ghi_chu": "Đã rà soát 2 việc"}),
        )
        .await;
        assert_eq!(status, 200, "{row}");
        assert_eq!(row["tien_do"], 40);
        assert_eq!(row["ghi_chu"], "Đã rà soát 2 việc");

        // The leader sees the update and its history.
        let (status, detail) = get(&app, &app.client, &format!("/api/tasks/{id}")).await;
        assert_eq!(status, 200);
        assert_eq!(detail["row"]["trang_thai"], "dang_thuc_hien");
        assert_eq!(detail["notes"][0]["actor"], "test-tasks-hn");
        assert_eq!(detail["notes"][0]["ghi_chu"], "Đã rà soát 2 việc");
        assert_eq!(detail["row"]["moved"], 0);

        // A linked case moves (ingested đình chỉ): the computed progress counts it.
        let moved_case: i64 = linked[0].parse().expect("id");
        let batch = json!({"events": [{
            "type": "status_change", "id": "task-move-1", "viec_id": moved_case,
            "trang_thai": "dinh_chi", "ngay": "2026-11-20", "so_quyet_dinh": "1/QĐ-THADS"
        }]});
        let resp = app
            .client
            .post(format!("{}/api/events", app.base))
            .bearer_auth("test-ingest-token")
            .json(&batch)
            .send()
            .await
            .expect("ingest");
        assert_eq!(
            resp.status(),
            200,
            "{}",
            resp.text().await.unwrap_or_default()
        );
        let (_, detail) = get(&app, &app.client, &format!("/api/tasks/{id}")).await;
        assert_eq!(detail["row"]["moved"], 1, "{detail}");
        assert_eq!(detail["row"]["linked"], 5);
        assert_eq!(detail["row"]["tracked"], 5);

        // Done: 100 %, the completion date set (the schema's CHECK holds).
        let (status, row) = post(
            &app,
            &hn,
            &format!("/api/tasks/{id}/progress"),
            &json!({"trang_thai": "hoan_thanh", "tien_do": 90, "ghi_chu": "Xong"}),
        )
        .await;
        assert_eq!(status, 200, "{row}");
        assert_eq!(row["tien_do"], 100);
        assert_eq!(
            count(
                &app,
                &format!(
                    "SELECT COUNT(*) FROM nhiem_vu WHERE id = {id} AND ngay_hoan_thanh IS NOT NULL"
                )
            )
            .await,
            1
        );
        let ok = task_audit(&app, "ok").await;
        assert!(ok
            .iter()
            .any(|r| r.actor == "test-lanhdao" && r.detail.contains("\"create\"")));
        assert_eq!(
            ok.iter()
                .filter(|r| r.actor == "test-tasks-hn" && r.detail.contains("\"update\""))
                .count(),
            2
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn another_province_cannot_see_update_or_assign() {
    for db in TestDb::all().await {
        seeded_store(&db, 0.002).await.close().await;
        let app = spawn_app(&db).await;
        let id = create_hanoi_task(&app).await;
        let hcm = app
            .login_as("test-tasks-hcm", Role::TruongTinh, Some("T79"), None)
            .await;
        let (status, _) = get(&app, &hcm, &format!("/api/tasks/{id}")).await;
        assert_eq!(status, 404);
        let (status, _) = post(
            &app,
            &hcm,
            &format!("/api/tasks/{id}/progress"),
            &json!({"trang_thai": "huy", "tien_do": 0, "ghi_chu": ""}),
        )
        .await;
        assert_eq!(status, 404);
        let (_, board) = get(&app, &hcm, "/api/tasks").await;
        let (status, overdue) = get(&app, &hcm, "/api/tasks?qua_han=1&don_vi=T79").await;
        assert_eq!(status, 200);
        assert!(overdue["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .all(|r| r["overdue"] == true));
        assert!(board["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .all(|r| r["ma_tinh"] == "79"));
        // Assigning to another province's unit is refused; to its own office it works.
        let (status, _) = post(&app, &hcm, "/api/tasks", &form()).await;
        assert_eq!(status, 403);
        let own = json!({
            "command": "Giao Phòng khu vực 5 đôn đốc 3 việc tồn đọng lâu nhất, xong trước 31/12/2026",
            "units": ["T79-KV05"], "loai_hanh_dong": "xu_ly", "tieu_de": "Đôn đốc 3 việc",
            "han_hoan_thanh": "2026-12-31", "so_luong": 3, "max_linked": 2,
        });
        let (status, created) = post(&app, &hcm, "/api/tasks", &own).await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(
            created["linked"],
            json!([2]),
            "max_linked keeps the first ids"
        );
        // The task row is unchanged by the refused update; refusals are audited.
        assert_eq!(
            count(
                &app,
                &format!("SELECT COUNT(*) FROM nhiem_vu WHERE id = {id} AND trang_thai = 'moi'")
            )
            .await,
            1
        );
        let denied = task_audit(&app, "denied").await;
        assert!(denied
            .iter()
            .any(|r| r.actor == "test-tasks-hcm" && r.detail.contains("\"update\"")));
        assert!(denied
            .iter()
            .any(|r| r.actor == "test-tasks-hcm" && r.detail.contains("\"create\"")));
        // The wall display reads but may not write.
        let wall = app
            .login_as("test-tasks-wall", Role::ManHinh, Some("CUC"), None)
            .await;
        let (status, _) = post(
            &app,
            &wall,
            &format!("/api/tasks/{id}/progress"),
            &json!({"trang_thai": "huy", "tien_do": 0, "ghi_chu": ""}),
        )
        .await;
        assert_eq!(status, 403);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_forms_and_foreign_origins_store_nothing() {
    let db = TestDb::sqlite();
    seeded_store(&db, 0.002).await.close().await;
    let app = spawn_app(&db).await;
    let before = count(&app, "SELECT COUNT(*) FROM nhiem_vu").await;
    for (field, value) in [
        ("han_hoan_thanh", json!("2026-11-01")),
        ("han_hoan_thanh", json!("15/12")),
        ("units", json!(["T99"])),
        ("units", json!([])),
        ("tieu_de", json!("  ")),
        ("loai_hanh_dong", json!("xoa_du_lieu")),
    ] {
        let mut f = form();
        f[field] = value.clone();
        let (status, body) = post(&app, &app.client, "/api/tasks", &f).await;
        assert_eq!(status, 400, "{field}={value}: {body}");
    }
    // CSRF: another site's origin is refused before anything runs.
    let session = app
        .login("test-lanhdao", crate::helpers::TEST_PASSWORD)
        .await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ORIGIN,
        reqwest::header::HeaderValue::from_static("https://evil.example"),
    );
    headers.insert(
        reqwest::header::COOKIE,
        reqwest::header::HeaderValue::from_str(&format!("{}={session}", server::auth::COOKIE))
            .expect("cookie"),
    );
    let foreign = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("client");
    let (status, _) = post(&app, &foreign, "/api/tasks", &form()).await;
    assert_eq!(status, 403);
    // Anonymous: 401.
    let (status, _) = post(&app, &client_with(&app.base, None), "/api/tasks", &form()).await;
    assert_eq!(status, 401);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM nhiem_vu").await, before);
}

/// Reads `/api/live` until an `event: task`; returns its data.
async fn next_task_event(resp: &mut reqwest::Response, buf: &mut String) -> Value {
    loop {
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            if block.lines().any(|l| l.trim() == "event: task") {
                let data: String = block
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .map(str::trim)
                    .collect();
                return serde_json::from_str(&data).expect("task json");
            }
        }
        let chunk = tokio::time::timeout(Duration::from_secs(20), resp.chunk())
            .await
            .expect("an event within 20 s")
            .expect("chunk")
            .expect("stream open");
        buf.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tasks_reach_the_assignee_stream_and_not_another_province() {
    for db in TestDb::all().await {
        seeded_store(&db, 0.002).await.close().await;
        let app = spawn_app(&db).await;
        let hn = app
            .login_as("test-live-hn", Role::TruongTinh, Some("T01"), None)
            .await;
        let hcm = app
            .login_as("test-live-hcm", Role::TruongTinh, Some("T79"), None)
            .await;
        let mut hn_stream = hn
            .get(format!("{}/api/live", app.base))
            .send()
            .await
            .expect("live");
        let mut hcm_stream = hcm
            .get(format!("{}/api/live", app.base))
            .send()
            .await
            .expect("live");
        let (mut hn_buf, mut hcm_buf) = (String::new(), String::new());
        let hanoi = create_hanoi_task(&app).await;
        let event = next_task_event(&mut hn_stream, &mut hn_buf).await;
        assert_eq!(event["id"], hanoi);
        assert_eq!(event["progress"], 0);
        assert_eq!(event["overdue"], false);
        // A task of Hồ Chí Minh City afterwards: the first task event of its head's stream is
        // that one, so the Hà Nội task was never sent there.
        let mut f = form();
        f["units"] = json!(["T79"]);
        let (status, created) = post(&app, &app.client, "/api/tasks", &f).await;
        assert_eq!(status, 201);
        let event = next_task_event(&mut hcm_stream, &mut hcm_buf).await;
        assert_eq!(event["id"], created["ids"][0]);
        // An update reaches the assignee too.
        let (status, _) = post(
            &app,
            &hn,
            &format!("/api/tasks/{hanoi}/progress"),
            &json!({"trang_thai": "dang_thuc_hien", "tien_do": 25, "ghi_chu": "Bắt đầu"}),
        )
        .await;
        assert_eq!(status, 200);
        let event = next_task_event(&mut hn_stream, &mut hn_buf).await;
        assert_eq!(event["id"], hanoi);
        assert_eq!(event["progress"], 25);
    }
}
