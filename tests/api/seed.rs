//! The demo data generator through `ioc seed`'s code path: determinism, calibration, integrity,
//! and the refusal to overwrite.

use crate::helpers::{scalar_f64, text_rows, TestDb};
use chrono::NaiveDate;
use queries::schema::Table;
use server::seed::{self, Params};
use server::store::Store;

fn params(seed: u64, scale: f64) -> Params {
    Params {
        seed,
        as_of: NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
        scale,
    }
}

/// FNV-1a over every row of every canonical table, ordered by the first column(s).
async fn table_checksums(store: &Store) -> Vec<(Table, usize, u64)> {
    let mut out = Vec::new();
    for table in Table::ALL {
        let cols: Vec<String> = table
            .column_names()
            .map(|c| format!("COALESCE(CAST({c} AS TEXT), '<null>')"))
            .collect();
        let order = match table {
            Table::ChiTieu => "nam_thong_ke, don_vi_id",
            Table::NhiemVuViec => "nhiem_vu_id, viec_id",
            _ => table.columns()[0].name,
        };
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {order}",
            cols.join(" || '|' || "),
            table.name()
        );
        let rows = text_rows(store, &sql).await;
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in rows.iter().flat_map(|r| r.bytes().chain([b'\n'])) {
            h ^= u64::from(byte);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        out.push((table, rows.len(), h));
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn same_seed_gives_identical_tables_and_another_seed_does_not() {
    let (a, b, c) = (TestDb::sqlite(), TestDb::sqlite(), TestDb::sqlite());
    let (sa, sb, sc) = (a.store().await, b.store().await, c.store().await);
    seed::run(&sa, &params(42, 0.003), false)
        .await
        .expect("seed a");
    seed::run(&sb, &params(42, 0.003), false)
        .await
        .expect("seed b");
    seed::run(&sc, &params(7, 0.003), false)
        .await
        .expect("seed c");
    let (ca, cb, cc) = (
        table_checksums(&sa).await,
        table_checksums(&sb).await,
        table_checksums(&sc).await,
    );
    assert_eq!(ca, cb);
    let viec =
        |c: &Vec<(Table, usize, u64)>| c.iter().find(|t| t.0 == Table::ViecThiHanh).map(|t| t.2);
    assert_ne!(viec(&ca), viec(&cc), "another seed must give other cases");
    for (table, rows, _) in &ca {
        assert!(*rows > 0, "{} is empty", table.name());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn seed_refuses_a_populated_database_without_force() {
    for db in TestDb::all().await {
        let store = db.store().await;
        seed::run(&store, &params(42, 0.001), false)
            .await
            .expect("first seed");
        let before = store.count_rows(Table::ViecThiHanh).await.expect("count");
        let err = seed::run(&store, &params(43, 0.002), false)
            .await
            .expect_err("second seed must refuse");
        assert!(matches!(err, seed::Error::NotEmpty), "{err}");
        assert!(err.to_string().contains("--force"));
        assert_eq!(
            store.count_rows(Table::ViecThiHanh).await.expect("count"),
            before,
            "nothing changed"
        );
        seed::run(&store, &params(43, 0.002), true)
            .await
            .expect("--force replaces the data");
        assert_ne!(
            store.count_rows(Table::ViecThiHanh).await.expect("count"),
            before
        );
        store.close().await;
    }
}

/// K4 (DOMAIN.md §4) for statistical year 2025, nationally.
const K4_2025: &str = "SELECT 100.0 * SUM(CASE WHEN trang_thai IN ('xong','dinh_chi') AND ngay_ket_thuc BETWEEN '2024-10-01' AND '2025-09-30' THEN 1 ELSE 0 END) \
     / NULLIF(COUNT(*), 0) FROM viec_thi_hanh WHERE trang_thai <> 'uy_thac' AND ngay_thu_ly <= '2025-09-30' \
     AND (ngay_ket_thuc IS NULL OR ngay_ket_thuc >= '2024-10-01') AND co_dieu_kien = 1";

#[tokio::test(flavor = "multi_thread")]
async fn seeded_data_is_calibrated_complete_and_consistent() {
    for db in TestDb::all().await {
        let store = db.store().await;
        seed::run(&store, &params(42, 0.05), false)
            .await
            .expect("seed");
        let backend = store.backend();
        let k4 = scalar_f64(&store, K4_2025).await;
        assert!(
            (83.0..=86.0).contains(&k4),
            "K4 2025 = {k4:.2} on {backend:?}"
        );

        let count = |sql: &'static str| {
            let store = store.clone();
            async move { scalar_f64(&store, sql).await }
        };
        assert_eq!(count("SELECT COUNT(*) FROM tinh").await, 34.0);
        assert_eq!(
            count("SELECT COUNT(*) FROM don_vi WHERE cap = 'khu_vuc'").await,
            355.0
        );
        assert_eq!(
            count("SELECT COUNT(*) FROM don_vi WHERE cap = 'cuc'").await,
            1.0
        );
        assert_eq!(
            count("SELECT COUNT(DISTINCT ma_tinh) FROM viec_thi_hanh").await,
            34.0
        );
        assert_eq!(
            count("SELECT COUNT(*) FROM don_vi d WHERE d.cap = 'khu_vuc' AND NOT EXISTS (SELECT 1 FROM viec_thi_hanh v WHERE v.don_vi_id = d.id)").await,
            0.0,
            "every regional office has cases"
        );
        assert_eq!(
            count("SELECT COUNT(*) FROM chi_tieu WHERE nam_thong_ke = 2025").await,
            35.0
        );

        let violations: [(&str, &str); 12] = [
            ("case office in another province", "SELECT COUNT(*) FROM viec_thi_hanh v JOIN don_vi d ON d.id = v.don_vi_id WHERE d.ma_tinh <> v.ma_tinh"),
            ("officer of another province", "SELECT COUNT(*) FROM viec_thi_hanh v JOIN can_bo c ON c.id = v.chap_hanh_vien_id JOIN don_vi d ON d.id = c.don_vi_id WHERE d.ma_tinh <> v.ma_tinh OR c.la_chap_hanh_vien <> 1"),
            ("decision before intake", "SELECT COUNT(*) FROM viec_thi_hanh WHERE ngay_ra_quyet_dinh < ngay_thu_ly OR ngay_xac_minh < ngay_ra_quyet_dinh"),
            ("end before other dates", "SELECT COUNT(*) FROM viec_thi_hanh WHERE ngay_ket_thuc < ngay_thu_ly OR ngay_ket_thuc < ngay_ra_quyet_dinh OR ngay_ket_thuc < ngay_xac_minh"),
            ("decision date inconsistent with state", "SELECT COUNT(*) FROM viec_thi_hanh WHERE (trang_thai = 'cho_ra_quyet_dinh' AND ngay_ra_quyet_dinh IS NOT NULL) \
              OR (trang_thai IN ('dang_thi_hanh', 'chua_co_dieu_kien', 'hoan', 'tam_dinh_chi', 'xong') AND ngay_ra_quyet_dinh IS NULL)"),
            ("xong not fully paid", "SELECT COUNT(*) FROM viec_thi_hanh WHERE trang_thai = 'xong' AND so_tien_phai_thi_hanh > 0 AND so_tien_da_thi_hanh <> so_tien_phai_thi_hanh"),
            ("dated after as-of", "SELECT (SELECT COUNT(*) FROM viec_thi_hanh WHERE ngay_thu_ly > '2026-11-20' OR ngay_ket_thuc > '2026-11-20') + (SELECT COUNT(*) FROM bien_lai WHERE ngay_thu > '2026-11-20') + (SELECT COUNT(*) FROM quyet_dinh WHERE ngay_ky > '2026-11-20') + (SELECT COUNT(*) FROM don_thu WHERE ngay_nhan > '2026-11-20')"),
            ("wrong statistical year", "SELECT COUNT(*) FROM viec_thi_hanh v JOIN lich l ON l.ngay = v.ngay_thu_ly WHERE l.nam_thong_ke <> v.nam_thong_ke"),
            ("case without both parties", "SELECT COUNT(*) FROM viec_thi_hanh v WHERE (SELECT COUNT(*) FROM duong_su d WHERE d.viec_id = v.id AND d.vai_tro = 'phai_thi_hanh') <> 1 OR (SELECT COUNT(*) FROM duong_su d WHERE d.viec_id = v.id AND d.vai_tro = 'duoc_thi_hanh') <> 1"),
            ("receipts above collected", "SELECT COUNT(*) FROM viec_thi_hanh v WHERE v.so_tien_da_thi_hanh < (SELECT COALESCE(SUM(b.so_tien), 0) FROM bien_lai b WHERE b.viec_id = v.id AND b.trang_thai = 'hop_le')"),
            ("receipt province differs from its office", "SELECT COUNT(*) FROM bien_lai b JOIN don_vi d ON d.id = b.don_vi_id WHERE d.ma_tinh <> b.ma_tinh"),
            ("working-day counter decreases", "SELECT COUNT(*) FROM lich a JOIN lich b ON b.stt_ngay = a.stt_ngay + 1 WHERE b.stt_ngay_lam_viec < a.stt_ngay_lam_viec"),
        ];
        for (what, sql) in violations {
            assert_eq!(scalar_f64(&store, sql).await, 0.0, "{what} on {backend:?}");
        }
        store.close().await;
    }
}
