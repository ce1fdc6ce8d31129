//! The dashboards' data on every store: figures read from the published snapshot (checked
//! against SQL counts of the store), the overdue list's filters, paging and CSV, case
//! timelines, and the scope check of every page and export (a provincial head is refused
//! another province with a Vietnamese 403).

use crate::helpers::{scalar_f64, seeded_store, spawn_app, text_rows, TestDb};
use app::wire::dash::OverdueQuery;
use queries::access::Role;
use server::config::Config;

/// The server's state (the app state pages get is `s.app`).
async fn state(db: &TestDb) -> server::State {
    let cfg = Config {
        database_url: db.url.clone(),
        ..Config::for_tests(&std::env::temp_dir())
    };
    server::build_state(&cfg).await.expect("state")
}

fn data(s: &server::State) -> app::ssr::AppState {
    s.app.clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_figures_come_from_the_snapshot_and_match_the_store() {
    for db in TestDb::all().await {
        let store = seeded_store(&db, 0.002).await;
        let s = state(&db).await;
        let d = data(&s).data.dashboard().await.expect("dashboard");
        let open = scalar_f64(
            &store,
            "SELECT COUNT(*) FROM viec_thi_hanh WHERE trang_thai NOT IN ('xong', 'dinh_chi', 'uy_thac')",
        )
        .await;
        assert_eq!(d.national.backlog as f64, open);
        assert_eq!(d.provinces.len(), 34);
        let hn_open = scalar_f64(
            &store,
            "SELECT COUNT(*) FROM viec_thi_hanh WHERE ma_tinh = '01' \
             AND trang_thai NOT IN ('xong', 'dinh_chi', 'uy_thac')",
        )
        .await;
        let hn = d.provinces.iter().find(|p| p.key == "01").expect("Hà Nội");
        assert_eq!((hn.name.as_str(), hn.backlog as f64), ("Hà Nội", hn_open));
        // Offices and officers carry their names from the store.
        let office = d
            .offices
            .iter()
            .find(|o| o.ma_tinh.as_deref() == Some("01"))
            .expect("office");
        assert!(
            office.name.starts_with("Phòng Thi hành án dân sự")
                || office.name.starts_with("Thi hành án dân sự"),
            "{}",
            office.name
        );
        assert!(d
            .officers
            .iter()
            .all(|o| !o.name.is_empty() && o.don_vi_id.is_some()));

        let wall = app::dash::wall(&d, 0);
        assert_eq!(wall.tiles.len(), 34);
        assert_eq!(
            wall.tiles.iter().filter(|t| t.weakest).count(),
            app::dash::WEAKEST
        );
        let weakest_rate = wall.weakest[0].done_rate_cases.unwrap_or(f64::INFINITY);
        assert!(d
            .provinces
            .iter()
            .all(|p| p.done_rate_cases.unwrap_or(f64::INFINITY) >= weakest_rate));
        assert!(wall.chart_cases_svg.contains("<svg") && wall.chart_money_svg.contains("<svg"));
        assert_eq!(wall.overdue_rules.len(), 16);
        assert_eq!(
            wall.overdue_rules.iter().map(|r| r.total).sum::<u64>(),
            wall.national.overdue_total
        );
        // The day before: the same KPIs with yesterday as the report date — its "receipts
        // today" are the valid receipts dated yesterday in the store.
        let before = d.day_before.as_ref().expect("the day before is computed");
        let as_of = chrono::NaiveDate::parse_from_str(&d.as_of, "%Y-%m-%d").expect("as-of");
        let yesterday = as_of.pred_opt().expect("a day before");
        assert_eq!(before.as_of, yesterday.format("%Y-%m-%d").to_string());
        let receipts_yesterday = scalar_f64(
            &store,
            &format!(
                "SELECT COUNT(*) FROM bien_lai WHERE trang_thai = 'hop_le' AND ngay_thu = '{}'",
                before.as_of
            ),
        )
        .await;
        assert_eq!(before.national.receipts_today as f64, receipts_yesterday);
        assert_eq!(wall.yesterday.as_ref(), Some(&before.national));
        assert_eq!(before.provinces.len(), 34);
        // A new snapshot version gives a new dashboard; the same version the cached one.
        let again = data(&s).data.dashboard().await.expect("dashboard");
        assert_eq!(again.version, d.version);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn overdue_list_filters_pages_and_matches_the_rule_in_sql() {
    for db in TestDb::all().await {
        let store = seeded_store(&db, 0.002).await;
        let s = state(&db).await;
        let app = data(&s);
        // QH11: open, with conditions, received more than 12 months before as-of (20/11/2026).
        const QH11: &str = "SELECT COUNT(*) FROM viec_thi_hanh WHERE co_dieu_kien = 1 \
             AND trang_thai NOT IN ('xong', 'dinh_chi', 'uy_thac') AND ngay_thu_ly < '2025-11-20'";
        let national = scalar_f64(&store, QH11).await as usize;
        assert!(
            national > 50,
            "the fixture should need two pages ({national})"
        );
        let all = OverdueQuery {
            quy_tac: Some("QH11".into()),
            ..Default::default()
        };
        let first = app.data.overdue(all.clone()).await.expect("page 1");
        assert_eq!((first.total, first.rows.len()), (national, 50));
        assert!(first.rows.iter().all(|r| r.rule == "QH11"));
        let dates: Vec<String> = first
            .rows
            .iter()
            .filter_map(|r| r.ngay_thu_ly.clone())
            .collect();
        let mut sorted = dates.clone();
        sorted.sort();
        assert_eq!(dates, sorted, "oldest intake first");
        let second = app
            .data
            .overdue(OverdueQuery {
                trang: Some(2),
                ..all.clone()
            })
            .await
            .expect("page 2");
        assert_eq!(second.rows.len(), (national - 50).min(50));
        assert!(second
            .rows
            .iter()
            .all(|r| first.rows.iter().all(|f| f.subject_id != r.subject_id)));
        // One province.
        let expected = scalar_f64(&store, &format!("{QH11} AND ma_tinh = '01'")).await as usize;
        let q = OverdueQuery {
            tinh: Some("01".into()),
            ..all.clone()
        };
        let hn = app.data.overdue(q).await.expect("Hà Nội");
        assert_eq!(hn.total, expected);
        assert!(hn
            .rows
            .iter()
            .all(|r| r.rule == "QH11" && r.ma_tinh.as_deref() == Some("01")));
        // The list agrees with K9 of the snapshot.
        let d = app.data.dashboard().await.expect("dashboard");
        let k9 = d
            .overdue
            .iter()
            .find(|r| r.code == "QH11")
            .and_then(|r| r.by_province.get("01").copied())
            .unwrap_or(0);
        assert_eq!(k9 as usize, expected);
        // Names are attached; a bad rule code is a 400 in Vietnamese.
        assert!(first.rows.iter().all(|r| r.don_vi_ten.is_some()));
        let bad = app
            .data
            .overdue(OverdueQuery {
                quy_tac: Some("QH99".into()),
                ..Default::default()
            })
            .await
            .expect_err("unknown rule");
        assert_eq!(bad.status(), 400);
        assert!(bad.to_string().contains("Quy tắc không hợp lệ"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn case_detail_has_its_timeline_and_officer_cases_are_paged() {
    for db in TestDb::all().await {
        let store = seeded_store(&db, 0.002).await;
        let s = state(&db).await;
        let app = data(&s);
        let id = scalar_f64(
            &store,
            "SELECT MIN(viec_id) FROM bien_lai WHERE viec_id IN (SELECT viec_id FROM quyet_dinh)",
        )
        .await as i64;
        let c = app
            .data
            .case_detail(id)
            .await
            .expect("case")
            .expect("exists");
        let kinds: Vec<&str> = c.timeline.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds.first(), Some(&"thu_ly"));
        assert!(
            kinds.contains(&"quyet_dinh") && kinds.contains(&"bien_lai"),
            "{kinds:?}"
        );
        let decisions = scalar_f64(
            &store,
            &format!("SELECT COUNT(*) FROM quyet_dinh WHERE viec_id = {id}"),
        )
        .await;
        assert_eq!(
            kinds.iter().filter(|k| **k == "quyet_dinh").count() as f64,
            decisions
        );
        let dates: Vec<&str> = c.timeline.iter().map(|e| e.date.as_str()).collect();
        assert!(dates.windows(2).all(|w| w[0] <= w[1]), "{dates:?}");
        assert!(app
            .data
            .case_detail(999_999_999)
            .await
            .expect("none")
            .is_none());

        let officer = text_rows(
            &store,
            "SELECT CAST(chap_hanh_vien_id AS TEXT) FROM viec_thi_hanh WHERE chap_hanh_vien_id IS NOT NULL \
             AND trang_thai NOT IN ('xong', 'dinh_chi', 'uy_thac') \
             GROUP BY chap_hanh_vien_id ORDER BY COUNT(*) DESC, chap_hanh_vien_id LIMIT 1",
        )
        .await[0]
            .parse::<i64>()
            .expect("id");
        let open = scalar_f64(
            &store,
            &format!(
                "SELECT COUNT(*) FROM viec_thi_hanh WHERE chap_hanh_vien_id = {officer} \
                 AND trang_thai NOT IN ('xong', 'dinh_chi', 'uy_thac')"
            ),
        )
        .await as usize;
        let (total, rows) = app.data.officer_cases(officer, 1).await.expect("cases");
        assert_eq!(total, open);
        assert_eq!(rows.len(), open.min(50));
    }
}

/// The fields of one CSV line (RFC 4180 quoting).
fn csv_fields(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted, mut chars) =
        (Vec::new(), String::new(), false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

async fn status_and_body(client: &reqwest::Client, url: String) -> (u16, String) {
    let res = client.get(url).send().await.expect("get");
    let status = res.status().as_u16();
    (status, res.text().await.expect("body"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_province_scope_cannot_open_another_province() {
    let db = TestDb::sqlite();
    let store = seeded_store(&db, 0.001).await;
    let app = spawn_app(&db).await;
    let hn = app
        .login_as("dash-hn", Role::TruongTinh, Some("T01"), None)
        .await;
    let get = |path: &str| status_and_body(&hn, format!("{}{path}", app.base));
    let (status, body) = get("/tinh/01").await;
    assert_eq!(status, 200);
    assert!(body.contains("Hà Nội") && body.contains("Danh sách vi phạm thời hạn"));
    for path in ["/tinh/79", "/man-hinh", "/ca-nuoc"] {
        let (status, _) = get(path).await;
        assert_eq!(status, 403, "{path}");
    }
    let other_office =
        scalar_f64(&store, "SELECT MIN(id) FROM don_vi WHERE ma_tinh = '79'").await as i64;
    assert_eq!(get(&format!("/don-vi/{other_office}")).await.0, 403);
    let other_case = scalar_f64(
        &store,
        "SELECT MIN(id) FROM viec_thi_hanh WHERE ma_tinh = '79'",
    )
    .await as i64;
    assert_eq!(get(&format!("/viec/{other_case}")).await.0, 403);
    let own_case = scalar_f64(
        &store,
        "SELECT MIN(id) FROM viec_thi_hanh WHERE ma_tinh = '01'",
    )
    .await as i64;
    assert_eq!(get(&format!("/viec/{own_case}")).await.0, 200);
    // The export is confined too: another province is refused, no filter means one's own.
    assert_eq!(get("/api/viec-qua-han.csv?tinh=79").await.0, 403);
    let (status, csv) = get("/api/viec-qua-han.csv").await;
    assert_eq!(status, 200);
    let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert!(lines[0].starts_with("\u{feff}Quy tắc,"));
    assert!(lines.len() > 1);
    for line in &lines[1..] {
        assert_eq!(
            csv_fields(line).get(8).map(String::as_str),
            Some("01"),
            "{line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn national_leadership_opens_every_dashboard_page() {
    let db = TestDb::sqlite();
    let _store = seeded_store(&db, 0.001).await;
    let app = spawn_app(&db).await;
    for path in ["/man-hinh", "/ca-nuoc", "/tinh/79"] {
        let (status, body) = status_and_body(&app.client, format!("{}{path}", app.base)).await;
        assert_eq!(status, 200, "{path}");
        assert!(body.contains("Vi phạm thời hạn"), "{path}");
    }
    let (status, _) = status_and_body(&app.client, format!("{}/tinh/99", app.base)).await;
    assert_eq!(status, 404);
}
