//! The HTTP server on a port-0 listener.

use crate::helpers::{seeded_store, spawn_app, TestDb};

#[tokio::test(flavor = "multi_thread")]
async fn home_page_is_server_rendered_with_national_totals() {
    for db in TestDb::all().await {
        let store = seeded_store(&db, 0.001).await;
        let cases = store
            .count_rows(queries::schema::Table::ViecThiHanh)
            .await
            .expect("count");
        store.close().await;

        let app = spawn_app(&db).await;
        let health = app
            .client
            .get(format!("{}/api/health", app.base))
            .send()
            .await
            .expect("health");
        assert_eq!(health.status(), 200);
        let home = app
            .client
            .get(format!("{}/", app.base))
            .send()
            .await
            .expect("home");
        assert_eq!(home.status(), 200);
        let html = home.text().await.expect("body");
        assert!(html.contains("<html lang=\"vi\""), "lang");
        assert!(html.contains("Tổng quan toàn quốc"));
        assert!(html.contains("20/11/2026"), "as-of date");
        let formatted = app::text::format_int(cases);
        assert!(html.contains(&formatted), "case count {formatted} in page");
        assert!(html.contains("/pkg/ioc.js"), "hydration script linked");

        let missing = app
            .client
            .get(format!("{}/khong-co-trang-nay", app.base))
            .send()
            .await
            .expect("404");
        assert_eq!(missing.status(), 404);
        assert!(missing
            .text()
            .await
            .expect("body")
            .contains("Không tìm thấy trang"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_store_says_so() {
    let db = TestDb::sqlite();
    let app = spawn_app(&db).await;
    let html = app
        .client
        .get(format!("{}/", app.base))
        .send()
        .await
        .expect("home")
        .text()
        .await
        .expect("body");
    assert!(html.contains("Chưa có dữ liệu"), "{html}");
}
