//! Runs a [`Guarded`] query on Polars, scoped and under its budget.
//!
//! Every call builds a fresh `SQLContext` (Polars SQL also runs `CREATE`/`DROP`/`TRUNCATE`
//! against its context: nothing is shared between requests) and registers only the tables the
//! query reads, each already filtered to the caller's [`Scope`] — whatever the SQL says, rows
//! outside the scope are not there to be read. Names of parties who are persons
//! (`duong_su.ho_ten` where `loai = 'ca_nhan'`) read as [`MASKED_NAME`] for scopes that may not
//! see them ([`Scope::may_see_party_names`]).
//!
//! The steps, each bounded by [`Limits`] (the module docs of [`super`] say why): the string
//! growth the guard found; Polars' optimised plan and its estimate ([`super::budget`]); the plan
//! run under a deadline and the caller's [`Cancel`] ([`super::run`]); the result's size.

use std::panic::{catch_unwind, AssertUnwindSafe};

use polars::prelude::*;
use polars::sql::SQLContext;
use polars_plan::plans::IRPlan;
use serde_json::Value as Json;

use super::budget::{self, vn_count, Estimate};
use super::{run, Cancel, ExecError, Guarded, Limits, ResultTable};
use crate::error::Result;
use crate::frames::{date_from_epoch_days, Frames};
use crate::schema::Table;
use crate::scope::Scope;

/// What a masked party name reads as.
pub const MASKED_NAME: &str = "***";

/// Runs `q` on a fresh Polars `SQLContext` over the frames of `frames` that `scope` may see,
/// under the budget of `limits`, and returns at most [`Limits::max_rows`] rows.
///
/// # Errors
/// [`ExecError`]: refused by the budget, stopped by the timeout, too large a result, or an
/// engine failure (its message, for the repair prompt, in [`ExecError::detail`]).
pub fn execute(
    frames: &Frames,
    scope: &Scope,
    q: &Guarded,
    limits: &Limits,
) -> Result<ResultTable, ExecError> {
    execute_cancellable(frames, scope, q, limits, &Cancel::new())
}

/// [`execute`], stopped as soon as `cancel` is cancelled (at once if it already is).
///
/// # Errors
/// As [`execute`]; [`super::ExecErrorKind::Cancelled`] when cancelled.
pub fn execute_cancellable(
    frames: &Frames,
    scope: &Scope,
    q: &Guarded,
    limits: &Limits,
    cancel: &Cancel,
) -> Result<ResultTable, ExecError> {
    if cancel.is_cancelled() {
        return Err(ExecError::cancelled());
    }
    budget::check_growth(q.string_growth, limits)?;
    let (plan, estimate) = plan(frames, scope, q, limits)?;
    budget::check_rows(&estimate, limits)?;
    let df = run::collect(plan, limits.timeout, cancel)?;
    check_result_size(&df, limits)?;
    to_result_table(&df).map_err(|e| ExecError::engine(e.to_string()))
}

/// The budget's estimate for `q` in `scope`, without running it.
///
/// # Errors
/// [`ExecError`] of kind `Engine` when Polars cannot plan the query.
pub fn estimate(
    frames: &Frames,
    scope: &Scope,
    q: &Guarded,
    limits: &Limits,
) -> Result<Estimate, ExecError> {
    plan(frames, scope, q, limits).map(|(_, e)| e)
}

/// Polars' optimised plan of `q` over the scoped frames, and its estimate.
fn plan(
    frames: &Frames,
    scope: &Scope,
    q: &Guarded,
    limits: &Limits,
) -> Result<(IRPlan, Estimate), ExecError> {
    let mut ctx = SQLContext::new();
    for &table in &q.checked_tables {
        ctx.register(table.name(), scoped(frames, scope, table));
    }
    let max = IdxSize::try_from(limits.max_rows).unwrap_or(IdxSize::MAX);
    // Polars may panic on a plan it does not expect; for untrusted SQL that is an error, not a
    // crash of the caller.
    let built = catch_unwind(AssertUnwindSafe(|| -> PolarsResult<(IRPlan, Estimate)> {
        let plan = ctx.execute(&q.exec_sql)?.limit(max).to_alp_optimized()?;
        let estimate = budget::estimate(&plan);
        Ok((plan, estimate))
    }));
    match built {
        Ok(Ok(planned)) => Ok(planned),
        Ok(Err(e)) => Err(ExecError::engine(e.to_string())),
        Err(_) => Err(ExecError::engine("Polars panicked while planning")),
    }
}

fn check_result_size(df: &DataFrame, limits: &Limits) -> Result<(), ExecError> {
    let cells = df.height().saturating_mul(df.width());
    if cells > limits.max_result_cells {
        return Err(ExecError::too_large(format!(
            "{} ô: {} dòng × {} cột, tối đa {} ô",
            vn_count(cells as f64),
            vn_count(df.height() as f64),
            df.width(),
            vn_count(limits.max_result_cells as f64)
        )));
    }
    let bytes = df.estimated_size();
    if bytes > limits.max_result_bytes {
        const MIB: usize = 1024 * 1024;
        return Err(ExecError::too_large(format!(
            "khoảng {} MB, tối đa {} MB",
            bytes.div_ceil(MIB),
            limits.max_result_bytes / MIB
        )));
    }
    Ok(())
}

fn semi(lf: LazyFrame, key: &str, parent: LazyFrame, parent_key: &str) -> LazyFrame {
    lf.semi_join(parent.select([col(parent_key)]), col(key), col(parent_key))
}

fn eq_str(name: &str, v: &str) -> Expr {
    col(name).eq(lit(v.to_owned()))
}

fn eq_int(name: &str, v: i64) -> Expr {
    col(name).eq(lit(v))
}

/// The rows of `table` that `scope` may read, lazily (nothing is computed unless the query
/// reads the table).
pub fn scoped(frames: &Frames, scope: &Scope, table: Table) -> LazyFrame {
    let lf = scoped_rows(frames, scope, table);
    if table == Table::DuongSu && !scope.may_see_party_names() {
        // Persons only: organisations' names are not personal data.
        lf.with_column(
            when(col("loai").eq(lit("ca_nhan")))
                .then(lit(MASKED_NAME))
                .otherwise(col("ho_ten"))
                .alias("ho_ten"),
        )
    } else {
        lf
    }
}

fn scoped_rows(frames: &Frames, scope: &Scope, table: Table) -> LazyFrame {
    let lf = frames.lazy(table);
    let rows = |t: Table| scoped_rows(frames, scope, t);
    match scope {
        Scope::National | Scope::Kiosk => lf,
        Scope::Province { ma_tinh } => match table {
            Table::Tinh | Table::DonVi | Table::ViecThiHanh | Table::BienLai | Table::DonThu => {
                lf.filter(eq_str("ma_tinh", ma_tinh))
            }
            Table::CanBo | Table::ChiTieu | Table::NhiemVu => {
                semi(lf, "don_vi_id", rows(Table::DonVi), "id")
            }
            Table::DuongSu | Table::QuyetDinh | Table::BienPhapCuongChe => {
                semi(lf, "viec_id", rows(Table::ViecThiHanh), "id")
            }
            Table::NhiemVuViec => semi(lf, "nhiem_vu_id", rows(Table::NhiemVu), "id"),
            Table::Lich => lf,
        },
        Scope::Office {
            don_vi_id, ma_tinh, ..
        } => match table {
            Table::Tinh | Table::DonVi => lf.filter(eq_str("ma_tinh", ma_tinh)),
            Table::CanBo
            | Table::ViecThiHanh
            | Table::BienLai
            | Table::DonThu
            | Table::ChiTieu
            | Table::NhiemVu => lf.filter(eq_int("don_vi_id", *don_vi_id)),
            Table::DuongSu | Table::QuyetDinh | Table::BienPhapCuongChe => {
                semi(lf, "viec_id", rows(Table::ViecThiHanh), "id")
            }
            Table::NhiemVuViec => semi(lf, "nhiem_vu_id", rows(Table::NhiemVu), "id"),
            Table::Lich => lf,
        },
        Scope::Officer {
            can_bo_id,
            don_vi_id,
            ma_tinh,
        } => match table {
            Table::Tinh | Table::DonVi => lf.filter(eq_str("ma_tinh", ma_tinh)),
            Table::CanBo => lf.filter(eq_int("id", *can_bo_id)),
            Table::ViecThiHanh => lf.filter(eq_int("chap_hanh_vien_id", *can_bo_id)),
            Table::BienLai
            | Table::DonThu
            | Table::DuongSu
            | Table::QuyetDinh
            | Table::BienPhapCuongChe
            | Table::NhiemVuViec => semi(lf, "viec_id", rows(Table::ViecThiHanh), "id"),
            Table::ChiTieu | Table::NhiemVu => lf.filter(eq_int("don_vi_id", *don_vi_id)),
            Table::Lich => lf,
        },
    }
}

/// Converts a result frame: integers stay integers, floats floats (non-finite → `null`),
/// booleans `1`/`0`, dates `"YYYY-MM-DD"`, anything else its text.
///
/// # Errors
/// [`crate::error::Error::Polars`] if a column cannot be read as its type.
pub fn to_result_table(df: &DataFrame) -> Result<ResultTable> {
    let height = df.height();
    let mut cols: Vec<Vec<Json>> = Vec::with_capacity(df.width());
    for c in df.columns() {
        cols.push(column_values(c)?);
    }
    let mut rows = Vec::with_capacity(height);
    for i in 0..height {
        rows.push(
            cols.iter()
                .map(|c| c.get(i).cloned().unwrap_or(Json::Null))
                .collect(),
        );
    }
    Ok(ResultTable {
        columns: df
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect(),
        rows,
    })
}

fn column_values(c: &Column) -> Result<Vec<Json>> {
    let dt = c.dtype().clone();
    Ok(match dt {
        DataType::Boolean => c
            .bool()?
            .iter()
            .map(|v| v.map_or(Json::Null, |b| Json::from(i64::from(b))))
            .collect(),
        DataType::Float32 | DataType::Float64 => c
            .cast(&DataType::Float64)?
            .f64()?
            .iter()
            .map(|v| {
                v.and_then(serde_json::Number::from_f64)
                    .map_or(Json::Null, Json::Number)
            })
            .collect(),
        DataType::UInt64 => c
            .u64()?
            .iter()
            .map(|v| v.map_or(Json::Null, Json::from))
            .collect(),
        d if d.is_integer() => c
            .cast(&DataType::Int64)?
            .i64()?
            .iter()
            .map(|v| v.map_or(Json::Null, Json::from))
            .collect(),
        DataType::String => c
            .str()?
            .iter()
            .map(|v| v.map_or(Json::Null, |s| Json::from(s.to_owned())))
            .collect(),
        DataType::Date => c
            .cast(&DataType::Int32)?
            .i32()?
            .iter()
            .map(|v| {
                v.and_then(date_from_epoch_days)
                    .map_or(Json::Null, |d| Json::from(d.format("%Y-%m-%d").to_string()))
            })
            .collect(),
        DataType::Null => vec![Json::Null; c.len()],
        d if d.is_float() || d.is_decimal() => c
            .cast(&DataType::Float64)?
            .f64()?
            .iter()
            .map(|v| {
                v.and_then(serde_json::Number::from_f64)
                    .map_or(Json::Null, Json::Number)
            })
            .collect(),
        _ => c
            .cast(&DataType::String)?
            .str()?
            .iter()
            .map(|v| v.map_or(Json::Null, |s| Json::from(s.to_owned())))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frames::ColumnData;
    use crate::sql::guard;
    use chrono::NaiveDate;
    use serde_json::json;

    fn ints(v: &[i64]) -> ColumnData {
        ColumnData::Int(v.iter().map(|x| Some(*x)).collect())
    }
    fn texts(v: &[&str]) -> ColumnData {
        ColumnData::Text(v.iter().map(|x| Some((*x).to_owned())).collect())
    }
    fn dates(v: &[Option<&str>]) -> ColumnData {
        ColumnData::Date(
            v.iter()
                .map(|x| x.map(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")))
                .collect(),
        )
    }

    /// Two provinces (01, 79), one regional office each, five cases, three parties.
    fn frames() -> Frames {
        let mut f = Frames::new();
        f.set_table(
            Table::Tinh,
            vec![
                texts(&["01", "79"]),
                texts(&["Hà Nội", "Hồ Chí Minh"]),
                texts(&["Ha Noi", "Ho Chi Minh"]),
                texts(&["tp", "tp"]),
                texts(&["bac", "nam"]),
                texts(&["dbsh", "dnb"]),
                ints(&[8_000_000, 9_000_000]),
                texts(&["Hà Nội", "Hồ Chí Minh; Bình Dương"]),
            ],
        )
        .expect("tinh");
        f.set_table(
            Table::DonVi,
            vec![
                ints(&[1, 2]),
                texts(&["T01-KV01", "T79-KV01"]),
                texts(&["KV1 Hà Nội", "KV1 Hồ Chí Minh"]),
                texts(&["KV1 Ha Noi", "KV1 Ho Chi Minh"]),
                texts(&["khu_vuc", "khu_vuc"]),
                texts(&["01", "79"]),
                ColumnData::Int(vec![None, None]),
            ],
        )
        .expect("don_vi");
        let n = 5;
        f.set_table(
            Table::ViecThiHanh,
            vec![
                ints(&[1, 2, 3, 4, 5]),
                texts(&["a", "b", "c", "d", "e"]),
                ints(&[1, 1, 1, 2, 2]),
                texts(&["01", "01", "01", "79", "79"]),
                ColumnData::Int(vec![Some(7), Some(7), None, Some(8), None]),
                texts(&["ds", "hs", "ds", "ds", "kdtm"]),
                texts(&["chu_dong"; 5]),
                dates(&[
                    Some("2025-12-01"),
                    Some("2026-01-15"),
                    Some("2026-02-01"),
                    Some("2026-03-01"),
                    Some("2026-11-20"),
                ]),
                dates(&[None; 5]),
                dates(&[None; 5]),
                ints(&[1; 5]),
                texts(&["xong", "dang_thi_hanh", "xong", "dang_thi_hanh", "hoan"]),
                ints(&[100, 200, 300, 400, 500]),
                ints(&[100, 50, 300, 0, 0]),
                dates(&[Some("2026-01-10"), None, Some("2026-03-01"), None, None]),
                ints(&[2026; 5]),
            ],
        )
        .expect("viec");
        assert_eq!(f.height(Table::ViecThiHanh), n);
        f.set_table(
            Table::DuongSu,
            vec![
                ints(&[1, 2, 3]),
                ints(&[1, 1, 4]),
                texts(&["phai_thi_hanh", "duoc_thi_hanh", "phai_thi_hanh"]),
                texts(&["ca_nhan", "doanh_nghiep", "ca_nhan"]),
                texts(&["Nguyễn Văn An", "Công ty Ánh Dương", "Lê Thị Bình"]),
            ],
        )
        .expect("duong_su");
        f
    }

    fn run(sql: &str, scope: &Scope) -> ResultTable {
        let limits = Limits::default();
        let g = guard(sql, &limits).unwrap_or_else(|e| panic!("{sql}: {e}"));
        execute(&frames(), scope, &g, &limits)
            .unwrap_or_else(|e| panic!("{sql} → {}: {e}", g.polars_sql()))
    }

    fn province(code: &str) -> Scope {
        Scope::Province {
            ma_tinh: code.into(),
        }
    }

    #[test]
    fn national_sees_all_province_sees_its_own() {
        let sql =
            "SELECT ma_tinh, COUNT(*) AS n FROM viec_thi_hanh GROUP BY ma_tinh ORDER BY ma_tinh";
        let all = run(sql, &Scope::National);
        assert_eq!(all.columns, vec!["ma_tinh", "n"]);
        assert_eq!(
            all.rows,
            vec![vec![json!("01"), json!(3)], vec![json!("79"), json!(2)]]
        );
        let hn = run(sql, &province("01"));
        assert_eq!(hn.rows, vec![vec![json!("01"), json!(3)]]);
        // Asking for another province by name gives nothing, whatever the SQL says.
        let other = run(
            "SELECT COUNT(*) AS n FROM viec_thi_hanh WHERE ma_tinh = '79' OR 1 = 1",
            &province("01"),
        );
        assert_eq!(other.rows, vec![vec![json!(3)]]);
        let tinh = run("SELECT ma_tinh FROM tinh", &province("79"));
        assert_eq!(tinh.rows, vec![vec![json!("79")]]);
    }

    #[test]
    fn child_tables_follow_their_parent_case() {
        let sql = "SELECT COUNT(*) AS n FROM duong_su";
        assert_eq!(run(sql, &Scope::National).rows, vec![vec![json!(3)]]);
        assert_eq!(run(sql, &province("01")).rows, vec![vec![json!(2)]]);
        assert_eq!(run(sql, &province("79")).rows, vec![vec![json!(1)]]);
        let officer = Scope::Officer {
            can_bo_id: 8,
            don_vi_id: 2,
            ma_tinh: "79".into(),
        };
        assert_eq!(run(sql, &officer).rows, vec![vec![json!(1)]]);
        let office = Scope::Office {
            don_vi_id: 1,
            ma_tinh: "01".into(),
        };
        assert_eq!(
            run("SELECT COUNT(*) FROM viec_thi_hanh", &office).rows,
            vec![vec![json!(3)]]
        );
    }

    #[test]
    fn party_names_of_persons_are_masked_for_scopes_that_may_not_see_them() {
        let sql = "SELECT id, ho_ten FROM duong_su ORDER BY id";
        let national = run(sql, &Scope::National);
        assert_eq!(national.rows[0][1], json!(MASKED_NAME));
        assert_eq!(national.rows[1][1], json!("Công ty Ánh Dương"));
        let officer = Scope::Officer {
            can_bo_id: 8,
            don_vi_id: 2,
            ma_tinh: "79".into(),
        };
        assert_eq!(
            run(sql, &officer).rows,
            vec![vec![json!(3), json!("Lê Thị Bình")]]
        );
        // Filtering on the name cannot reveal it either.
        let probe = run(
            "SELECT COUNT(*) FROM duong_su WHERE ho_ten LIKE 'Nguyễn%'",
            &Scope::National,
        );
        assert_eq!(probe.rows, vec![vec![json!(0)]]);
    }

    #[test]
    fn dates_compare_like_sqlite_and_come_back_iso() {
        let r = run(
            "SELECT id, ngay_thu_ly FROM viec_thi_hanh WHERE ngay_thu_ly >= '2026-01-01' \
             AND ngay_thu_ly BETWEEN '2026-01-01' AND '2026-03-01' ORDER BY id",
            &Scope::National,
        );
        assert_eq!(
            r.rows,
            vec![
                vec![json!(2), json!("2026-01-15")],
                vec![json!(3), json!("2026-02-01")],
                vec![json!(4), json!("2026-03-01")],
            ]
        );
        // A literal that is not a whole date compares as text, as in SQLite.
        let r = run(
            "SELECT COUNT(*) FROM viec_thi_hanh WHERE ngay_thu_ly < '2026-02'",
            &Scope::National,
        );
        assert_eq!(r.rows, vec![vec![json!(2)]]);
        let r = run(
            "SELECT COUNT(*) FROM viec_thi_hanh WHERE ngay_ket_thuc IN ('2026-01-10', '2026-03-01')",
            &Scope::National,
        );
        assert_eq!(r.rows, vec![vec![json!(2)]]);
    }

    #[test]
    fn numbers_booleans_and_nulls_like_sqlite() {
        let r = run(
            "SELECT 7 / 2 AS a, 7.0 / 2 AS b, SUM(so_tien_da_thi_hanh) / COUNT(*) AS c, \
             ROUND(100.0 * SUM(so_tien_da_thi_hanh) / NULLIF(SUM(so_tien_phai_thi_hanh), 0), 2) AS d \
             FROM viec_thi_hanh",
            &Scope::National,
        );
        assert_eq!(
            r.rows,
            vec![vec![json!(3), json!(3.5), json!(90), json!(30.0)]]
        );
        let r = run(
            "SELECT id, so_tien_phai_thi_hanh > 250 AS lon, ngay_ket_thuc FROM viec_thi_hanh \
             ORDER BY ngay_ket_thuc, id",
            &Scope::National,
        );
        // NULLs first, as SQLite orders them; booleans as 1/0.
        assert_eq!(r.rows[0], vec![json!(2), json!(0), json!(null)]);
        assert_eq!(r.rows[3], vec![json!(1), json!(0), json!("2026-01-10")]);
        assert_eq!(r.rows[4], vec![json!(3), json!(1), json!("2026-03-01")]);
        // String literals compared with integers, numbers with text (SQLite affinity).
        let r = run(
            "SELECT COUNT(*) FROM viec_thi_hanh WHERE co_dieu_kien = '1' AND ma_tinh <> 79",
            &Scope::National,
        );
        assert_eq!(r.rows, vec![vec![json!(3)]]);
        let r = run(
            "SELECT ten FROM tinh WHERE ten LIKE 'hà%'",
            &Scope::National,
        );
        assert_eq!(r.rows, vec![vec![json!("Hà Nội")]]);
    }

    #[test]
    fn subqueries_joins_and_ctes() {
        let r = run(
            "SELECT COUNT(*) AS n FROM viec_thi_hanh v WHERE EXISTS \
             (SELECT 1 FROM duong_su d WHERE d.viec_id = v.id AND d.vai_tro = 'duoc_thi_hanh')",
            &Scope::National,
        );
        assert_eq!(r.rows, vec![vec![json!(1)]]);
        let r = run(
            "SELECT COUNT(*) AS n FROM viec_thi_hanh v WHERE NOT EXISTS \
             (SELECT 1 FROM duong_su d WHERE d.viec_id = v.id)",
            &Scope::National,
        );
        assert_eq!(r.rows, vec![vec![json!(3)]]);
        let r = run(
            "SELECT COUNT(*) FROM viec_thi_hanh WHERE id IN (SELECT viec_id FROM duong_su)",
            &Scope::National,
        );
        assert_eq!(r.rows, vec![vec![json!(2)]]);
        let r = run(
            "WITH x AS (SELECT ma_tinh, COUNT(*) AS n FROM viec_thi_hanh GROUP BY ma_tinh) \
             SELECT t.ten, x.n FROM x JOIN tinh t ON t.ma_tinh = x.ma_tinh AND t.mien = 'nam'",
            &Scope::National,
        );
        assert_eq!(r.rows, vec![vec![json!("Hồ Chí Minh"), json!(2)]]);
    }

    #[test]
    fn order_by_a_group_key_that_is_not_selected() {
        // `t.ma_tinh` exists on both sides of the join (Polars renames it `ma_tinh:t`).
        let r = run(
            "SELECT t.ten, COUNT(*) AS n FROM viec_thi_hanh v JOIN tinh t ON t.ma_tinh = v.ma_tinh \
             GROUP BY t.ma_tinh, t.ten ORDER BY n DESC, t.ma_tinh LIMIT 5",
            &Scope::National,
        );
        assert_eq!(
            r.rows,
            vec![
                vec![json!("Hà Nội"), json!(3)],
                vec![json!("Hồ Chí Minh"), json!(2)]
            ]
        );
        let r = run(
            "SELECT COUNT(*) FROM viec_thi_hanh WHERE ngay_thu_ly = DATE '2026-11-20'",
            &Scope::National,
        );
        assert_eq!(r.rows, vec![vec![json!(1)]]);
    }

    #[test]
    fn limit_caps_the_rows() {
        let limits = Limits {
            max_rows: 2,
            ..Limits::default()
        };
        let g = guard("SELECT id FROM viec_thi_hanh ORDER BY id LIMIT 50", &limits).expect("g");
        assert!(g.sql.ends_with("LIMIT 2"), "{}", g.sql);
        let r = execute(&frames(), &Scope::National, &g, &limits).expect("run");
        assert_eq!(r.rows, vec![vec![json!(1)], vec![json!(2)]]);
    }

    #[test]
    fn only_named_tables_are_registered() {
        let limits = Limits::default();
        let g = guard("SELECT COUNT(*) FROM tinh", &limits).expect("g");
        assert_eq!(g.tables, vec![Table::Tinh]);
        let g = guard(
            "SELECT COUNT(*) FROM viec_thi_hanh WHERE id IN (SELECT viec_id FROM duong_su)",
            &limits,
        )
        .expect("g");
        assert_eq!(g.tables, vec![Table::ViecThiHanh, Table::DuongSu]);
    }
}
