//! Migrations and the canonical schema, on every store.

use crate::helpers::TestDb;
use queries::schema::Table;
use server::store::{Backend, Store};

/// Column names of `table` as the database reports them, in order.
async fn db_columns(store: &Store, table: Table) -> Vec<String> {
    match store {
        Store::Sqlite(pool) => {
            sqlx::query_scalar("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                .bind(table.name())
                .fetch_all(pool)
                .await
                .expect("pragma_table_info")
        }
        Store::Postgres(pool) => sqlx::query_scalar(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind(table.name())
        .fetch_all(pool)
        .await
        .expect("information_schema"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn migrations_create_the_canonical_schema_and_are_idempotent() {
    for db in TestDb::all().await {
        let store = db.store().await;
        store.migrate().await.expect("second migrate is a no-op");
        for table in Table::ALL {
            let expected: Vec<String> = table.column_names().map(String::from).collect();
            assert_eq!(
                db_columns(&store, table).await,
                expected,
                "{} on {:?}",
                table.name(),
                store.backend()
            );
        }
        assert!(!store.has_data().await.expect("has_data"));
        store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn check_constraints_reject_unknown_codes() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let ok =
            "INSERT INTO tinh VALUES ('01','Hà Nội','Ha Noi','tp','bac','dbsh',8587100,'Hà Nội')";
        let bad_region = "INSERT INTO tinh VALUES ('02','X','X','tp','tay','dbsh',1,'X')";
        let bad_unit = "INSERT INTO don_vi (id, ma, ten, ten_khong_dau, cap, ma_tinh) VALUES (1,'T01','x','x','tinh',NULL)";
        let orphan = "INSERT INTO don_vi (id, ma, ten, ten_khong_dau, cap, ma_tinh) VALUES (2,'T99','x','x','tinh','99')";
        crate::helpers::exec(&store, ok).await.expect("valid row");
        for sql in [bad_region, bad_unit, orphan] {
            assert!(
                crate::helpers::exec(&store, sql).await.is_err(),
                "{sql} on {:?}",
                store.backend()
            );
        }
        store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_database_urls_fail_with_a_clear_message() {
    let err = Store::connect("mysql://root@localhost/x")
        .await
        .expect_err("mysql is not supported");
    assert!(
        err.to_string().contains("unsupported database URL"),
        "{err}"
    );
    let err = Store::connect("postgres://nobody:secret@127.0.0.1:1/none")
        .await
        .expect_err("nothing listens on port 1");
    let msg = err.to_string();
    assert!(
        msg.contains("cannot open database") && !msg.contains("secret"),
        "{msg}"
    );
    assert_eq!(
        Backend::of_url("sqlite::memory:").ok(),
        Some(Backend::Sqlite)
    );
}
