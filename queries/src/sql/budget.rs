//! The budget of a query, checked before it runs: how many rows its plan can combine, and how
//! long its strings can grow ([`super::growth`]).
//!
//! `LIMIT` caps what a query returns, not what it computes: `lich a CROSS JOIN lich b CROSS
//! JOIN don_vi c` counts billions of rows, and a self-join of the cases on their province makes
//! (cases per province)² rows before any `LIMIT`. [`estimate`] walks Polars' optimised plan (the
//! IR, after predicate and projection pushdown) bottom-up and bounds the rows of every node:
//! - a scan: the height of the (already scoped-to-be) frame;
//! - filters, projections, sorts: their input; a slice: its length; a group-by or a `DISTINCT`:
//!   its input, and at most the product of its keys' distinct counts when they are known; a
//!   projection of aggregates only (`SELECT COUNT(*) …`): one row;
//! - a union: the sum of its inputs; a horizontal concat (scalar subqueries): the largest;
//! - a cross join (and an inequality join): `|L| × |R|`; a semi/anti join: `|L|`;
//! - an equi-join: `|L| × |R| / max(ndv(L keys), ndv(R keys))`, the textbook estimate, where
//!   `ndv` is the number of distinct values of a key column traced down to the frame it comes
//!   from (through projections, filters, group-by keys, other joins) and counted there, and at
//!   most the rows of its side; a key that cannot be traced (an expression) counts as one value
//!   (every row matches every row: the worst case) unless the other side's key is known; a left
//!   join keeps at least `|L|`, a full join at most `inner + |L| + |R|`.
//!
//! Joins and unions are where a plan *combines* rows: the largest such estimate is compared
//! with [`super::Limits::max_combined_rows`]. Scans and operators that only shrink their input
//! are not checked: the data is already in memory.
//!
//! The estimate is an estimate: filters are not credited (an upper bound), distinct counts are
//! taken on the whole frame (which makes joins look smaller than they are on a filtered side).
//! The timeout ([`super::Limits::timeout`]) stops what the estimate lets through.

use std::collections::HashMap;

use polars::prelude::{DataFrame, JoinType};
use polars_plan::plans::expr_ir::ExprIR;
use polars_plan::plans::{AExpr, FunctionIR, IRPlan, IR};
use polars_plan::prelude::{Arena, Node};

use super::growth::StringGrowth;
use super::{ExecError, Limits};

/// What the budget check found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The largest estimated row count of a join or union in the plan (0 when it has none).
    pub combined_rows: f64,
    /// The estimated row count of the result before `LIMIT`.
    pub result_rows: f64,
}

/// Refuses `growth` beyond [`Limits::max_string_growth`] / [`Limits::max_string_constant`].
///
/// # Errors
/// [`ExecError`] of kind [`super::ExecErrorKind::Budget`].
pub(crate) fn check_growth(growth: StringGrowth, limits: &Limits) -> Result<(), ExecError> {
    if growth.factor > limits.max_string_growth {
        let times = if growth.factor == u64::MAX {
            "không giới hạn (chuỗi thay thế lấy từ dữ liệu)".to_owned()
        } else {
            format!("tới {} lần", vn_count(growth.factor as f64))
        };
        return Err(ExecError::budget(format!(
            "các hàm chuỗi (REPLACE, CONCAT, ||) làm độ dài chuỗi tăng {times}, tối đa {} lần. \
             Hãy bỏ bớt các hàm REPLACE/CONCAT lồng nhau hoặc dùng chuỗi thay thế không dài hơn \
             chuỗi cần thay",
            limits.max_string_growth
        )));
    }
    if growth.constant > limits.max_string_constant {
        return Err(ExecError::budget(format!(
            "các hàm chuỗi tạo ra chuỗi hằng dài tới {} byte, tối đa {} byte",
            vn_count(growth.constant as f64),
            limits.max_string_constant
        )));
    }
    Ok(())
}

/// Refuses an [`Estimate`] beyond [`Limits::max_combined_rows`].
///
/// # Errors
/// [`ExecError`] of kind [`super::ExecErrorKind::Budget`].
pub(crate) fn check_rows(estimate: &Estimate, limits: &Limits) -> Result<(), ExecError> {
    if estimate.combined_rows > limits.max_combined_rows as f64 {
        return Err(ExecError::budget(format!(
            "câu truy vấn sẽ kết hợp khoảng {} dòng dữ liệu (tối đa {} dòng). Hãy nối bảng theo \
             cột khóa (ví dụ v.id = d.viec_id) thay vì theo cột có ít giá trị như ma_tinh, bỏ \
             CROSS JOIN, hoặc thêm điều kiện lọc trong truy vấn con trước khi nối",
            vn_count(estimate.combined_rows),
            vn_count(limits.max_combined_rows as f64)
        )));
    }
    Ok(())
}

/// Bounds the rows of every node of `plan` (see the module docs).
pub(crate) fn estimate(plan: &IRPlan) -> Estimate {
    let mut e = Estimator {
        lp: &plan.lp_arena,
        ex: &plan.expr_arena,
        rows: HashMap::new(),
        ndv: HashMap::new(),
        combined: 0.0,
    };
    let result_rows = e.rows(plan.lp_top);
    // Every node, even one whose parent's bound did not need its rows.
    let mut todo = vec![plan.lp_top];
    let mut seen = std::collections::HashSet::new();
    while let Some(node) = todo.pop() {
        if seen.insert(node) {
            e.rows(node);
            todo.extend(plan.lp_arena.get(node).inputs());
        }
    }
    Estimate {
        combined_rows: e.combined,
        result_rows,
    }
}

struct Estimator<'a> {
    lp: &'a Arena<IR>,
    ex: &'a Arena<AExpr>,
    rows: HashMap<Node, f64>,
    ndv: HashMap<(Node, String), Option<f64>>,
    combined: f64,
}

impl Estimator<'_> {
    /// An upper bound (mostly) of the rows `node` produces.
    fn rows(&mut self, node: Node) -> f64 {
        if let Some(r) = self.rows.get(&node) {
            return *r;
        }
        let r = self.compute_rows(node);
        self.rows.insert(node, r);
        r
    }

    fn compute_rows(&mut self, node: Node) -> f64 {
        let lp = self.lp;
        match lp.get(node) {
            IR::DataFrameScan { df, .. } => df.height() as f64,
            IR::Slice { input, len, .. } => self.rows(*input).min(f64::from(*len)),
            IR::Sort { input, slice, .. } => {
                let r = self.rows(*input);
                match slice {
                    Some((_, len, _)) => r.min(*len as f64),
                    None => r,
                }
            }
            IR::Filter { input, .. }
            | IR::Cache { input, .. }
            | IR::SimpleProjection { input, .. }
            | IR::HStack { input, .. }
            | IR::Sink { input, .. }
            | IR::ExtContext { input, .. } => self.rows(*input),
            // Aggregates without a group-by (`SELECT COUNT(*) …`) give one row.
            IR::Select { input, expr, .. } => {
                let r = self.rows(*input);
                if expr.iter().all(|e| e.is_scalar(self.ex)) {
                    1.0
                } else {
                    r.max(1.0)
                }
            }
            IR::Distinct { input, options } => {
                let r = self.rows(*input);
                let columns: Vec<String> = match &options.subset {
                    Some(subset) => subset.iter().map(|c| c.to_string()).collect(),
                    None => lp
                        .get(*input)
                        .schema(lp)
                        .iter_names()
                        .map(|c| c.to_string())
                        .collect(),
                };
                let mut combinations = 1.0;
                for c in &columns {
                    match self.column_ndv(*input, c) {
                        Some(d) => combinations *= d,
                        None => return r,
                    }
                }
                r.min(combinations).max(1.0)
            }
            IR::GroupBy { input, keys, .. } => {
                let r = self.rows(*input);
                match self.keys_ndv(*input, keys) {
                    Some(groups) => r.min(groups).max(1.0),
                    None if keys.is_empty() => 1.0,
                    None => r,
                }
            }
            IR::Join {
                input_left,
                input_right,
                left_on,
                right_on,
                options,
                ..
            } => {
                let (l, r) = (self.rows(*input_left), self.rows(*input_right));
                let out = match &options.args.how {
                    JoinType::Semi | JoinType::Anti => l,
                    JoinType::Inner => {
                        self.equi_join(l, r, (*input_left, left_on), (*input_right, right_on))
                    }
                    JoinType::Left => self
                        .equi_join(l, r, (*input_left, left_on), (*input_right, right_on))
                        .max(l),
                    JoinType::Right => self
                        .equi_join(l, r, (*input_left, left_on), (*input_right, right_on))
                        .max(r),
                    JoinType::Full => {
                        self.equi_join(l, r, (*input_left, left_on), (*input_right, right_on))
                            + l
                            + r
                    }
                    // Cross, inequality and any other join: every pair may be formed.
                    _ => l * r,
                };
                self.combined = self.combined.max(out);
                out
            }
            IR::Union { inputs, .. } => {
                let out = inputs.iter().map(|i| self.rows(*i)).sum();
                self.combined = self.combined.max(out);
                out
            }
            IR::HConcat { inputs, .. } => inputs.iter().map(|i| self.rows(*i)).fold(0.0, f64::max),
            IR::MapFunction { input, function } => {
                let r = self.rows(*input);
                match function {
                    FunctionIR::Explode { .. } | FunctionIR::Unnest { .. } => f64::INFINITY,
                    _ => r,
                }
            }
            // Nothing the guard lets through makes these; the worst case if it ever does.
            other => {
                let inputs: Vec<Node> = other.inputs().collect();
                if inputs.is_empty() {
                    f64::INFINITY
                } else {
                    inputs.into_iter().map(|i| self.rows(i)).product()
                }
            }
        }
    }

    /// `|L| × |R| / max(ndv(L keys), ndv(R keys))`, an untraceable side counting as one value.
    fn equi_join(
        &mut self,
        l: f64,
        r: f64,
        left: (Node, &[ExprIR]),
        right: (Node, &[ExprIR]),
    ) -> f64 {
        if left.1.is_empty() {
            return l * r;
        }
        let dl = self.keys_ndv(left.0, left.1).unwrap_or(1.0);
        let dr = self.keys_ndv(right.0, right.1).unwrap_or(1.0);
        l * r / dl.max(dr).max(1.0)
    }

    /// The distinct combinations of `keys` evaluated on `input`: the product of each key
    /// column's distinct count, at most the rows of `input`; `None` if a key is not a column.
    fn keys_ndv(&mut self, input: Node, keys: &[ExprIR]) -> Option<f64> {
        if keys.is_empty() {
            return None;
        }
        let mut product = 1.0;
        for k in keys {
            let name = column_of(self.ex, k.node())?;
            product *= self.column_ndv(input, name)?;
        }
        Some(product.min(self.rows(input)))
    }

    /// The distinct values of the output column `name` of `node`, traced down to the frame
    /// it comes from; at most the rows of `node`.
    fn column_ndv(&mut self, node: Node, name: &str) -> Option<f64> {
        let key = (node, name.to_owned());
        if let Some(v) = self.ndv.get(&key) {
            return *v;
        }
        let v = self.trace_ndv(node, name).map(|d| d.min(self.rows(node)));
        self.ndv.insert(key, v);
        v
    }

    fn trace_ndv(&mut self, node: Node, name: &str) -> Option<f64> {
        let (lp, ex) = (self.lp, self.ex);
        match lp.get(node) {
            IR::DataFrameScan { df, .. } => frame_ndv(df, name),
            IR::Slice { input, .. }
            | IR::Sort { input, .. }
            | IR::Filter { input, .. }
            | IR::Cache { input, .. }
            | IR::SimpleProjection { input, .. }
            | IR::Distinct { input, .. }
            | IR::Sink { input, .. }
            | IR::ExtContext { input, .. } => self.column_ndv(*input, name),
            IR::MapFunction {
                input,
                function: FunctionIR::Rechunk | FunctionIR::Hint(_) | FunctionIR::RowIndex { .. },
            } => self.column_ndv(*input, name),
            IR::Select { input, expr, .. } => {
                let source = expr.iter().find(|e| e.output_name().as_str() == name)?;
                let column = column_of(ex, source.node())?;
                self.column_ndv(*input, column)
            }
            IR::HStack { input, exprs, .. } => {
                match exprs.iter().find(|e| e.output_name().as_str() == name) {
                    Some(e) => {
                        let column = column_of(ex, e.node())?;
                        self.column_ndv(*input, column)
                    }
                    None => self.column_ndv(*input, name),
                }
            }
            IR::GroupBy { input, keys, .. } => {
                let key = keys.iter().find(|e| e.output_name().as_str() == name)?;
                let column = column_of(ex, key.node())?;
                self.column_ndv(*input, column)
            }
            IR::Join {
                input_left,
                input_right,
                options,
                ..
            } => {
                let (left, right) = (*input_left, *input_right);
                if lp.get(left).schema(lp).contains(name) {
                    return self.column_ndv(left, name);
                }
                if lp.get(right).schema(lp).contains(name) {
                    return self.column_ndv(right, name);
                }
                let suffix = options.args.suffix.as_deref().unwrap_or("_right");
                let base = name.strip_suffix(suffix)?;
                self.column_ndv(right, base)
            }
            IR::Union { inputs, .. } => {
                let mut sum = 0.0;
                for i in inputs.clone() {
                    sum += self.column_ndv(i, name)?;
                }
                Some(sum)
            }
            IR::HConcat { inputs, .. } => {
                let source = inputs
                    .iter()
                    .copied()
                    .find(|i| lp.get(*i).schema(lp).contains(name))?;
                self.column_ndv(source, name)
            }
            _ => None,
        }
    }
}

/// The column an expression reads, when it is a column (possibly cast).
fn column_of(ex: &Arena<AExpr>, node: Node) -> Option<&str> {
    match ex.get(node) {
        AExpr::Column(name) => Some(name.as_str()),
        AExpr::Cast { expr, .. } => column_of(ex, *expr),
        _ => None,
    }
}

/// Distinct values of a column of an in-memory frame.
fn frame_ndv(df: &DataFrame, name: &str) -> Option<f64> {
    let column = df.column(name).ok()?;
    column.n_unique().ok().map(|n| n as f64)
}

/// A count in Vietnamese words: `3,1 tỷ`, `20 triệu`, `4.500`.
pub(crate) fn vn_count(n: f64) -> String {
    if !n.is_finite() {
        return "vô số".to_owned();
    }
    let scaled = |div: f64, unit: &str| {
        let v = n / div;
        let text = if v >= 100.0 || (v - v.round()).abs() < 0.05 {
            format!("{v:.0}")
        } else {
            format!("{v:.1}").replace('.', ",")
        };
        format!("{text} {unit}")
    };
    if n >= 1e9 {
        scaled(1e9, "tỷ")
    } else if n >= 1e6 {
        scaled(1e6, "triệu")
    } else {
        let whole = format!("{:.0}", n.max(0.0));
        let mut out = String::new();
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                out.push('.');
            }
            out.push(c);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::NaiveDate;

    use super::*;
    use crate::frames::{ColumnData, Frames};
    use crate::schema::Table;
    use crate::scope::Scope;
    use crate::sql::{
        estimate as plan_estimate, execute, execute_cancellable, guard, Cancel, ExecErrorKind,
        Guarded,
    };

    const DAYS: usize = 3000;
    const UNITS: usize = 400;
    const CASES: usize = 40_000;

    fn ints(v: impl Iterator<Item = i64>) -> ColumnData {
        ColumnData::Int(v.map(Some).collect())
    }
    fn texts(v: impl Iterator<Item = String>) -> ColumnData {
        ColumnData::Text(v.map(Some).collect())
    }
    fn province(i: usize) -> String {
        if i.is_multiple_of(2) { "01" } else { "79" }.to_owned()
    }

    /// A calendar of 3,000 days, 400 offices and 40,000 cases (each with one party) in two
    /// provinces: enough for a cross join or a self-join on the province to be far over the
    /// default budget, and for a join on a key to be well under it.
    fn frames() -> Frames {
        let mut f = Frames::new();
        let start = NaiveDate::from_ymd_opt(2020, 1, 1).expect("date");
        let days: Vec<NaiveDate> = (0..DAYS)
            .map(|i| start + chrono::Days::new(i as u64))
            .collect();
        f.set_table(
            Table::Lich,
            vec![
                ColumnData::Date(days.iter().map(|d| Some(*d)).collect()),
                ints(days.iter().map(|d| i64::from(chrono::Datelike::year(d)))),
                texts(days.iter().map(|d| d.format("%Y-%m").to_string())),
                texts(
                    days.iter()
                        .map(|d| format!("{}-Q1", chrono::Datelike::year(d))),
                ),
                ints((0..DAYS).map(|i| (i % 7) as i64)),
                ints((0..DAYS).map(|i| i64::from(i % 7 < 5))),
                ColumnData::Text(vec![None; DAYS]),
                ints((0..DAYS).map(|i| i as i64 + 1)),
                ints((0..DAYS).map(|i| i as i64 + 1)),
                ints(days.iter().map(|d| i64::from(chrono::Datelike::year(d)))),
            ],
        )
        .expect("lich");
        f.set_table(
            Table::DonVi,
            vec![
                ints((1..=UNITS).map(|i| i as i64)),
                texts((1..=UNITS).map(|i| format!("KV{i}"))),
                texts((1..=UNITS).map(|i| format!("Phòng {i}"))),
                texts((1..=UNITS).map(|i| format!("Phong {i}"))),
                texts((1..=UNITS).map(|_| "khu_vuc".to_owned())),
                texts((1..=UNITS).map(province)),
                ColumnData::Int(vec![None; UNITS]),
            ],
        )
        .expect("don_vi");
        f.set_table(
            Table::ViecThiHanh,
            vec![
                ints((1..=CASES).map(|i| i as i64)),
                texts((1..=CASES).map(|i| format!("V{i}"))),
                // An office of the case's province (both alternate).
                ints((1..=CASES).map(|i| ((i - 1) % UNITS) as i64 + 1)),
                texts((1..=CASES).map(province)),
                ColumnData::Int(vec![None; CASES]),
                texts((1..=CASES).map(|_| "ds".to_owned())),
                texts((1..=CASES).map(|_| "chu_dong".to_owned())),
                ColumnData::Date(vec![Some(start); CASES]),
                ColumnData::Date(vec![None; CASES]),
                ColumnData::Date(vec![None; CASES]),
                ints((1..=CASES).map(|_| 1)),
                texts((1..=CASES).map(|_| "dang_thi_hanh".to_owned())),
                ints((1..=CASES).map(|i| i as i64 * 1000)),
                ints((1..=CASES).map(|_| 0)),
                ColumnData::Date(vec![None; CASES]),
                ints((1..=CASES).map(|_| 2026)),
            ],
        )
        .expect("viec_thi_hanh");
        f.set_table(
            Table::DuongSu,
            vec![
                ints((1..=CASES).map(|i| i as i64)),
                ints((1..=CASES).map(|i| i as i64)),
                texts((1..=CASES).map(|_| "phai_thi_hanh".to_owned())),
                texts((1..=CASES).map(|_| "doanh_nghiep".to_owned())),
                texts((1..=CASES).map(|i| format!("Công ty {i}"))),
            ],
        )
        .expect("duong_su");
        f
    }

    fn hanoi() -> Scope {
        Scope::Province {
            ma_tinh: "01".into(),
        }
    }

    fn guarded(sql: &str, limits: &Limits) -> Guarded {
        guard(sql, limits).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    fn refusal(sql: &str, limits: &Limits) -> ExecError {
        let f = frames();
        match execute(&f, &hanoi(), &guarded(sql, limits), limits) {
            Ok(r) => panic!("{sql} ran: {} rows", r.rows.len()),
            Err(e) => e,
        }
    }

    #[test]
    fn a_cross_join_of_calendars_is_refused_before_running() {
        let e = refusal(
            "SELECT COUNT(*) FROM lich a CROSS JOIN lich b CROSS JOIN don_vi c",
            &Limits::default(),
        );
        assert_eq!(e.kind, ExecErrorKind::Budget, "{e}");
        assert!(e.to_string().contains("kết hợp khoảng"), "{e}");
    }

    #[test]
    fn a_self_join_on_a_low_cardinality_key_is_refused_before_running() {
        let sql =
            "SELECT COUNT(*) FROM viec_thi_hanh a JOIN viec_thi_hanh b ON a.ma_tinh = b.ma_tinh";
        let e = refusal(sql, &Limits::default());
        assert_eq!(e.kind, ExecErrorKind::Budget, "{e}");
        // The estimate: 40,000 × 40,000 / 2 provinces (filters are not credited).
        let limits = Limits::default();
        let est =
            plan_estimate(&frames(), &hanoi(), &guarded(sql, &limits), &limits).expect("estimate");
        assert!(est.combined_rows >= 4e8, "{est:?}");
    }

    #[test]
    fn nested_replace_growth_is_refused_before_running() {
        let mut expr = "ma_viec".to_owned();
        for _ in 0..10 {
            expr = format!("REPLACE({expr}, 'V', 'VVVV')");
        }
        let sql = format!("SELECT {expr} AS x FROM viec_thi_hanh");
        let limits = Limits::default();
        assert_eq!(guarded(&sql, &limits).string_growth().factor, 4u64.pow(10));
        let e = refusal(&sql, &limits);
        assert_eq!(e.kind, ExecErrorKind::Budget, "{e}");
        assert!(e.to_string().contains("REPLACE"), "{e}");
        // One REPLACE that doubles is fine.
        let f = frames();
        let one = "SELECT REPLACE(ma_viec, 'V', 'VV') AS x FROM viec_thi_hanh ORDER BY id LIMIT 1";
        let r = execute(&f, &hanoi(), &guarded(one, &limits), &limits).expect("runs");
        assert_eq!(r.rows, vec![vec![serde_json::json!("VV2")]]);
    }

    #[test]
    fn a_join_on_a_key_over_the_same_tables_runs() {
        let f = frames();
        let limits = Limits::default();
        let sql = "SELECT COUNT(*) AS n FROM viec_thi_hanh v JOIN duong_su d ON d.viec_id = v.id \
                   JOIN don_vi u ON u.id = v.don_vi_id JOIN lich l ON l.ngay = v.ngay_thu_ly";
        let q = guarded(sql, &limits);
        let r = execute(&f, &hanoi(), &q, &limits).expect("runs");
        assert_eq!(r.rows, vec![vec![serde_json::json!(CASES / 2)]]);
        let est = plan_estimate(&f, &Scope::National, &q, &limits).expect("estimate");
        assert!(est.combined_rows <= (CASES * 2) as f64, "{est:?}");
        // A CTE grouped by the province joins its 2 groups, not 40,000 rows.
        let sql = "WITH x AS (SELECT ma_tinh, COUNT(*) AS n FROM viec_thi_hanh GROUP BY ma_tinh) \
                   SELECT COUNT(*) FROM viec_thi_hanh v JOIN x ON x.ma_tinh = v.ma_tinh";
        let r = execute(&f, &Scope::National, &guarded(sql, &limits), &limits).expect("runs");
        assert_eq!(r.rows, vec![vec![serde_json::json!(CASES)]]);
    }

    #[test]
    fn a_query_over_its_time_is_interrupted() {
        let f = frames();
        // Over the default budget (9 million pairs): let it through, with very little time.
        let limits = Limits {
            timeout: Duration::from_millis(5),
            max_combined_rows: u64::MAX,
            ..Limits::default()
        };
        let sql = "SELECT a.nam, COUNT(*) AS n FROM lich a CROSS JOIN lich b \
                   WHERE a.stt_ngay + b.stt_ngay > 100 GROUP BY a.nam ORDER BY a.nam";
        let e = execute(&f, &hanoi(), &guarded(sql, &limits), &limits).expect_err("stopped");
        assert_eq!(e.kind, ExecErrorKind::Timeout, "{e}");
        assert!(e.to_string().contains("giây"), "{e}");
    }

    #[test]
    fn a_cancelled_handle_runs_nothing() {
        let f = frames();
        let limits = Limits::default();
        let cancel = Cancel::new();
        cancel.cancel();
        let q = guarded("SELECT COUNT(*) FROM viec_thi_hanh", &limits);
        let e = execute_cancellable(&f, &hanoi(), &q, &limits, &cancel).expect_err("cancelled");
        assert_eq!(e.kind, ExecErrorKind::Cancelled);
        let r = execute_cancellable(&f, &hanoi(), &q, &limits, &Cancel::new()).expect("runs");
        assert_eq!(r.rows, vec![vec![serde_json::json!(CASES / 2)]]);
    }

    #[test]
    fn results_are_capped_in_cells() {
        let f = frames();
        let limits = Limits {
            max_result_cells: 100,
            ..Limits::default()
        };
        let q = guarded("SELECT id, ma_viec FROM viec_thi_hanh LIMIT 51", &limits);
        let e = execute(&f, &hanoi(), &q, &limits).expect_err("too large");
        assert_eq!(e.kind, ExecErrorKind::ResultTooLarge, "{e}");
        let q = guarded("SELECT id, ma_viec FROM viec_thi_hanh LIMIT 50", &limits);
        assert_eq!(
            execute(&f, &hanoi(), &q, &limits).expect("fits").rows.len(),
            50
        );
    }

    #[test]
    fn counts_read_in_vietnamese() {
        assert_eq!(vn_count(4_470_996_400.0), "4,5 tỷ");
        assert_eq!(vn_count(20_000_000.0), "20 triệu");
        assert_eq!(vn_count(4500.0), "4.500");
        assert_eq!(vn_count(12.0), "12");
    }
}
