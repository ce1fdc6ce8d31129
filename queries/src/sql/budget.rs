//! The budget of a query, checked before it runs: how many rows its plan can combine, and how
//! long its strings can grow ([`super::growth`]).
//!
//! `LIMIT` caps what a query returns, not what it computes: `lich a CROSS JOIN lich b CROSS
//! JOIN don_vi c` counts billions of rows, and a self-join of the cases on their province makes
//! (cases per province)² rows before any `LIMIT`. [`estimate`] walks Polars' optimised plan (the
//! IR, after predicate and projection pushdown) bottom-up and bounds the rows of every node:
//! - a scan: the height of the frame (scope filters are nodes above it);
//! - filters, projections, sorts: their input; a slice: its length; a group-by or a `DISTINCT`:
//!   its input, and at most the product of its keys' distinct counts when they are known; a
//!   projection of aggregates only (`SELECT COUNT(*) …`): one row;
//! - a union: the sum of its inputs; a horizontal concat (scalar subqueries): the largest;
//! - a cross join (and an inequality join): `|L| × |R|`; a semi/anti join: `|L|`;
//! - an equi-join: the textbook `|L| × |R| / max(ndv(L keys), ndv(R keys))`, but never less
//!   than `m(L keys) × m(R keys)` and never more than `min(|L| × m(R keys), |R| × m(L keys))`,
//!   where for a key column traced down to the frame it comes from (through projections,
//!   filters, group-by keys, other joins) `ndv` is its number of distinct values and `m` the
//!   number of rows of its most frequent value, both counted on that frame (nulls, which never
//!   match, left out). `m` catches what the textbook formula, which assumes values equally
//!   frequent, misses: a self-join on an amount that is 0 for a third of the cases. A key that
//!   cannot be traced (an expression) has `m` = the rows of its side: with an untraced key on
//!   both sides, every row may match every row. A left join keeps at least `|L|`, a full join
//!   at most `inner + |L| + |R|`.
//!
//! Joins and unions are where a plan *combines* rows: the largest such estimate is compared
//! with [`super::Limits::max_combined_rows`]. Scans and operators that only shrink their input
//! are not checked: the data is already in memory.
//!
//! Filters are not credited (the rows of a filtered side are bounded by its input), and the key
//! statistics come from the whole frame, so a side filtered to a few rows still counts its
//! frame's `m`: the estimate leans to refusing. The timeout ([`super::Limits::timeout`]) stops
//! what it lets through.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, Weak};

use polars::prelude::{DataFrame, JoinType, SeriesTrait};
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
        stats: HashMap::new(),
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
    stats: HashMap<(Node, String), Option<KeyStats>>,
    combined: f64,
}

/// What a join needs to know about a key column on one side.
#[derive(Debug, Clone, Copy, PartialEq)]
struct KeyStats {
    /// Distinct non-null values.
    ndv: f64,
    /// Rows of the most frequent non-null value.
    max_freq: f64,
}

impl KeyStats {
    /// At most `rows` of anything.
    fn capped(self, rows: f64) -> KeyStats {
        KeyStats {
            ndv: self.ndv.min(rows),
            max_freq: self.max_freq.min(rows),
        }
    }
}

impl Estimator<'_> {
    /// A bound on the rows `node` produces.
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
            IR::GroupBy { input, keys, .. } => {
                let r = self.rows(*input);
                if keys.is_empty() {
                    return 1.0;
                }
                match self.keys_stats(*input, keys) {
                    Some(k) => r.min(k.ndv).max(1.0),
                    None => r,
                }
            }
            IR::Distinct { input, options } => {
                let r = self.rows(*input);
                let columns = match &options.subset {
                    Some(subset) => subset.iter().map(|c| c.to_string()).collect(),
                    None => schema_names(lp, *input),
                };
                let mut combinations = 1.0;
                for c in &columns {
                    match self.column_stats(*input, c) {
                        Some(k) => combinations *= k.ndv,
                        None => return r,
                    }
                }
                r.min(combinations).max(1.0)
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
                let inner = |e: &mut Self| {
                    e.equi_join(l, r, (*input_left, left_on), (*input_right, right_on))
                };
                let out = match &options.args.how {
                    JoinType::Semi | JoinType::Anti => l,
                    JoinType::Inner => inner(self),
                    JoinType::Left => inner(self).max(l),
                    JoinType::Right => inner(self).max(r),
                    JoinType::Full => inner(self) + l + r,
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

    /// The rows of an equi-join of `l` and `r` rows on these keys (see the module docs).
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
        let ls = self.keys_stats(left.0, left.1);
        let rs = self.keys_stats(right.0, right.1);
        let ndv = |k: Option<KeyStats>| k.map_or(1.0, |k| k.ndv.max(1.0));
        let (ml, mr) = (ls.map_or(l, |k| k.max_freq), rs.map_or(r, |k| k.max_freq));
        let textbook = l * r / ndv(ls).max(ndv(rs));
        let upper = (l * mr).min(r * ml);
        textbook.min(upper).max(ml * mr)
    }

    /// The statistics of the combination of `keys` evaluated on `input`: at most the product of
    /// the columns' distinct counts, and at most the smallest of their largest multiplicities;
    /// `None` if a key is not a column.
    fn keys_stats(&mut self, input: Node, keys: &[ExprIR]) -> Option<KeyStats> {
        if keys.is_empty() {
            return None;
        }
        let mut combined = KeyStats {
            ndv: 1.0,
            max_freq: f64::INFINITY,
        };
        for k in keys {
            let name = column_of(self.ex, k.node())?;
            let s = self.column_stats(input, name)?;
            combined.ndv *= s.ndv;
            combined.max_freq = combined.max_freq.min(s.max_freq);
        }
        Some(combined.capped(self.rows(input)))
    }

    /// The statistics of the output column `name` of `node`, traced down to the frame it comes
    /// from; at most the rows of `node`.
    fn column_stats(&mut self, node: Node, name: &str) -> Option<KeyStats> {
        let key = (node, name.to_owned());
        if let Some(v) = self.stats.get(&key) {
            return *v;
        }
        let v = self
            .trace_stats(node, name)
            .map(|k| k.capped(self.rows(node)));
        self.stats.insert(key, v);
        v
    }

    fn trace_stats(&mut self, node: Node, name: &str) -> Option<KeyStats> {
        let (lp, ex) = (self.lp, self.ex);
        match lp.get(node) {
            IR::DataFrameScan { df, .. } => frame_stats(df, name),
            IR::Slice { input, .. }
            | IR::Sort { input, .. }
            | IR::Filter { input, .. }
            | IR::Cache { input, .. }
            | IR::SimpleProjection { input, .. }
            | IR::Sink { input, .. }
            | IR::ExtContext { input, .. } => self.column_stats(*input, name),
            IR::MapFunction {
                input,
                function: FunctionIR::Rechunk | FunctionIR::Hint(_) | FunctionIR::RowIndex { .. },
            } => self.column_stats(*input, name),
            IR::Distinct { input, options } => {
                let s = self.column_stats(*input, name)?;
                let only_this = match &options.subset {
                    Some(subset) => subset.len() == 1 && subset[0].as_str() == name,
                    None => schema_names(lp, *input) == [name],
                };
                Some(if only_this {
                    KeyStats { max_freq: 1.0, ..s }
                } else {
                    s
                })
            }
            IR::Select { input, expr, .. } => {
                let source = expr.iter().find(|e| e.output_name().as_str() == name)?;
                let column = column_of(ex, source.node())?;
                self.column_stats(*input, column)
            }
            IR::HStack { input, exprs, .. } => {
                match exprs.iter().find(|e| e.output_name().as_str() == name) {
                    Some(e) => {
                        let column = column_of(ex, e.node())?;
                        self.column_stats(*input, column)
                    }
                    None => self.column_stats(*input, name),
                }
            }
            IR::GroupBy { input, keys, .. } => {
                let key = keys.iter().find(|e| e.output_name().as_str() == name)?;
                let column = column_of(ex, key.node())?;
                let s = self.column_stats(*input, column)?;
                // One row per group: a single key's values are distinct.
                Some(if keys.len() == 1 {
                    KeyStats { max_freq: 1.0, ..s }
                } else {
                    s
                })
            }
            IR::Join {
                input_left,
                input_right,
                left_on,
                right_on,
                options,
                ..
            } => {
                let (left, right) = (*input_left, *input_right);
                // Which side the column comes from, and how many rows of the other side each of
                // its rows can meet.
                let (side, column, other, other_keys) = if has_column(lp, left, name) {
                    (left, name, right, right_on)
                } else if has_column(lp, right, name) {
                    (right, name, left, left_on)
                } else {
                    let suffix = options.args.suffix.as_deref().unwrap_or("_right");
                    (right, name.strip_suffix(suffix)?, left, left_on)
                };
                let s = self.column_stats(side, column)?;
                let fan_out = match &options.args.how {
                    JoinType::Semi | JoinType::Anti => 1.0,
                    JoinType::Inner | JoinType::Left | JoinType::Right | JoinType::Full => self
                        .keys_stats(other, other_keys)
                        .map_or_else(|| self.rows(other), |k| k.max_freq)
                        .max(1.0),
                    _ => self.rows(other).max(1.0),
                };
                Some(KeyStats {
                    ndv: s.ndv,
                    max_freq: s.max_freq * fan_out,
                })
            }
            IR::Union { inputs, .. } => {
                let mut sum = KeyStats {
                    ndv: 0.0,
                    max_freq: 0.0,
                };
                for i in inputs {
                    let s = self.column_stats(*i, name)?;
                    sum.ndv += s.ndv;
                    sum.max_freq += s.max_freq;
                }
                Some(sum)
            }
            IR::HConcat { inputs, .. } => {
                let source = inputs.iter().copied().find(|i| has_column(lp, *i, name))?;
                self.column_stats(source, name)
            }
            _ => None,
        }
    }
}

fn has_column(lp: &Arena<IR>, node: Node, name: &str) -> bool {
    lp.get(node).schema(lp).contains(name)
}

fn schema_names(lp: &Arena<IR>, node: Node) -> Vec<String> {
    lp.get(node)
        .schema(lp)
        .iter_names()
        .map(|c| c.to_string())
        .collect()
}

/// The column an expression reads, when it is a column (possibly cast).
fn column_of(ex: &Arena<AExpr>, node: Node) -> Option<&str> {
    match ex.get(node) {
        AExpr::Column(name) => Some(name.as_str()),
        AExpr::Cast { expr, .. } => column_of(ex, *expr),
        _ => None,
    }
}

/// Key statistics of frame columns, kept across queries. Counting a column of a million rows
/// takes tens of milliseconds, and the frames are shared snapshots whose columns change only
/// when a micro-batch replaces them: an entry is keyed by the address of the column's data and
/// holds a `Weak` to it, which keeps that address from being reused while the entry lives and
/// tells whether the column is still alive.
static FRAME_STATS: LazyLock<Mutex<HashMap<usize, CachedStats>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Entries kept before dead columns are dropped (and, if all are alive, everything).
const FRAME_STATS_ENTRIES: usize = 1024;

type CachedStats = (Weak<dyn SeriesTrait>, KeyStats);

/// Distinct values and the largest multiplicity of a column of an in-memory frame, nulls left
/// out (they never match in a join).
fn frame_stats(df: &DataFrame, name: &str) -> Option<KeyStats> {
    let series = df.column(name).ok()?.as_materialized_series();
    let key = Arc::as_ptr(&series.0).cast::<()>() as usize;
    if let Ok(cache) = FRAME_STATS.lock() {
        if let Some((column, stats)) = cache.get(&key) {
            if column.strong_count() > 0 {
                return Some(*stats);
            }
        }
    }
    let groups = series.drop_nulls().group_tuples(true, false).ok()?;
    let max_freq = groups.iter().map(|g| g.len()).max().unwrap_or(0);
    let stats = KeyStats {
        ndv: groups.len() as f64,
        max_freq: max_freq as f64,
    };
    if let Ok(mut cache) = FRAME_STATS.lock() {
        if cache.len() >= FRAME_STATS_ENTRIES {
            cache.retain(|_, (column, _)| column.strong_count() > 0);
            if cache.len() >= FRAME_STATS_ENTRIES {
                cache.clear();
            }
        }
        cache.insert(key, (Arc::downgrade(&series.0), stats));
    }
    Some(stats)
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
                // Paid: nothing for a third of the cases, a distinct amount for the others.
                ints((1..=CASES).map(|i| if i.is_multiple_of(3) { 0 } else { i as i64 })),
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
    fn a_self_join_on_a_skewed_column_is_refused_before_running() {
        // 26,667 distinct amounts: the textbook estimate (40,000² / 26,667 = 60,000 rows) would
        // let it run; the 13,333 zeros alone make 178 million pairs.
        let sql = "SELECT COUNT(*) FROM viec_thi_hanh a JOIN viec_thi_hanh b \
                   ON a.so_tien_da_thi_hanh = b.so_tien_da_thi_hanh";
        let limits = Limits::default();
        let e = refusal(sql, &limits);
        assert_eq!(e.kind, ExecErrorKind::Budget, "{e}");
        let est =
            plan_estimate(&frames(), &hanoi(), &guarded(sql, &limits), &limits).expect("estimate");
        assert!(est.combined_rows >= 1.7e8, "{est:?}");
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
