//! The KPI engine: every formula of DOMAIN.md §4 (K1–K8, K10–K15) and every overdue rule of
//! §3 (QH01–QH16, counted by K9), in one module, as named Polars expressions and lazy
//! pipelines over the analytical store ([`Frames`]).
//!
//! Layout, from small to big:
//! - parameters: [`Period`] (statistical year Y, S = (Y−1)-10-01, E = Y-09-30,
//!   D = min(E, as-of)) and [`RuleParams`] (as-of and the `as-of − N days/months` dates);
//! - case predicates (`to_enforce` = K1, `with_conditions` = K2, `done` = K3, …), each an
//!   [`Expr`] over `viec_thi_hanh` columns; every case measure excludes `uy_thac`;
//! - *facts*: per-source pipelines (`case_facts`, `officer_facts`, `receipt_facts`,
//!   `complaint_facts`, `decision_facts`, `overdue_facts`) that aggregate the big tables once to
//!   additive counts and sums keyed by (`ma_tinh`, `don_vi_id`, `can_bo_id`);
//! - levels: [`roll_up`] sums facts to [`Level::Country`], [`Level::Region`] (`mien` or
//!   `vung`), [`Level::Province`], [`Level::Office`] and [`Level::Officer`]; [`with_targets`]
//!   attaches `chi_tieu`; [`with_rates`] derives the rates (K4, K5, K10–K15) from the sums, so
//!   a rate is never averaged across units;
//! - overdue rules: one function per rule ([`qh01_late_decision`] … [`qh16_decision_unsigned`]),
//!   each returning the flagged rows in one schema (see [`names::RULE`]); [`overdue_flags`]
//!   concatenates them;
//! - monthly series ([`monthly_facts`], [`monthly_table`]) by `lich.thang`, cumulative from
//!   1 Oct, for the current and the previous statistical year;
//! - [`compute_snapshot`]: everything the dashboards need, collected in two `collect_all`
//!   rounds (the big tables once, then the small per-level plans), as plain [`Serialize`]
//!   structs;
//! - [`rollup`]: the second round in plain Rust over fact sums held in hash maps, for the
//!   incremental engine ([`crate::engine`]); it gives the same snapshot (tested against
//!   [`compute_snapshot`]).
//!
//! Rates are percentages rounded to 2 decimals (half away from zero, like SQL `ROUND`), and
//! `None` where the divisor is 0 (SQL `NULLIF`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{Datelike, Days, Months, NaiveDate};
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::frames::{epoch_days, ColumnData, Frames};
use crate::schema::{trang_thai as tt, Table};

/// Column names of the facts, level tables, flag frames and monthly series.
pub mod names {
    /// Level key: `toan_quoc`, the `mien`/`vung` code, `ma_tinh`, `don_vi.ma` or `can_bo.id`.
    pub const KEY: &str = "key";
    pub const MA_TINH: &str = "ma_tinh";
    pub const DON_VI_ID: &str = "don_vi_id";
    pub const CAN_BO_ID: &str = "can_bo_id";
    /// Month as `yyyymm` (Int32); the label is `lich.thang` in [`THANG`].
    pub const MONTH: &str = "month";
    pub const THANG: &str = "thang";

    pub const CASES_TO_ENFORCE: &str = "cases_to_enforce";
    pub const CASES_WITH_CONDITIONS: &str = "cases_with_conditions";
    pub const CASES_WITHOUT_CONDITIONS: &str = "cases_without_conditions";
    pub const CASES_DONE: &str = "cases_done";
    pub const CASES_NEW: &str = "cases_new";
    pub const MONEY_TO_ENFORCE: &str = "money_to_enforce";
    pub const MONEY_WITH_CONDITIONS: &str = "money_with_conditions";
    pub const MONEY_DONE: &str = "money_done";
    pub const BACKLOG: &str = "backlog";
    pub const BACKLOG_WITH_CONDITIONS: &str = "backlog_with_conditions";
    pub const CARRIED_IN: &str = "carried_in";
    pub const CARRIED_OVER: &str = "carried_over";
    pub const CARRIED_OVER_WITH_CONDITIONS: &str = "carried_over_with_conditions";
    pub const DAYS_TO_DONE_SUM: &str = "days_to_done_sum";
    pub const OFFICERS: &str = "officers";
    pub const RECEIPTS_COUNT: &str = "receipts_count";
    pub const RECEIPTS_AMOUNT: &str = "receipts_amount";
    pub const RECEIPTS_ELECTRONIC: &str = "receipts_electronic";
    pub const RECEIPTS_SIGNED: &str = "receipts_signed";
    pub const RECEIPTS_EMAIL: &str = "receipts_email";
    pub const RECEIPTS_SMS: &str = "receipts_sms";
    pub const RECEIPTS_PAPER: &str = "receipts_paper";
    pub const RECEIPTS_TODAY: &str = "receipts_today";
    pub const RECEIPTS_TODAY_AMOUNT: &str = "receipts_today_amount";
    pub const COMPLAINTS_OPEN: &str = "complaints_open";
    pub const COMPLAINTS_RECEIVED: &str = "complaints_received";
    pub const COMPLAINTS_RESOLVED: &str = "complaints_resolved";
    pub const COMPLAINTS_RESOLVED_ON_TIME: &str = "complaints_resolved_on_time";
    pub const DECISIONS: &str = "decisions";
    pub const DECISIONS_SIGNED: &str = "decisions_signed";
    pub const OVERDUE_TOTAL: &str = "overdue_total";

    pub const DONE_RATE_CASES: &str = "done_rate_cases";
    pub const DONE_RATE_MONEY: &str = "done_rate_money";
    pub const DONE_PER_OFFICER: &str = "done_per_officer";
    pub const AVG_DAYS_TO_DONE: &str = "avg_days_to_done";
    pub const RECEIPTS_ELECTRONIC_RATE: &str = "receipts_electronic_rate";
    pub const RECEIPTS_SIGNED_RATE: &str = "receipts_signed_rate";
    pub const COMPLAINTS_ON_TIME_RATE: &str = "complaints_on_time_rate";
    pub const DECISIONS_SIGNED_RATE: &str = "decisions_signed_rate";
    pub const TARGET_RATE_CASES: &str = "target_rate_cases";
    pub const TARGET_RATE_MONEY: &str = "target_rate_money";
    pub const MEETS_TARGET: &str = "meets_target";

    pub const CASES_DONE_CUMULATIVE: &str = "cases_done_cumulative";
    pub const CASES_WITH_CONDITIONS_CUMULATIVE: &str = "cases_with_conditions_cumulative";
    pub const DONE_RATE_CASES_CUMULATIVE: &str = "done_rate_cases_cumulative";

    /// Flag frames: the rule code (`QH01`…).
    pub const RULE: &str = "rule";
    /// Flag frames: the id of the flagged row in the rule's subject table (for QH09/QH10, which
    /// flag cases through their measures, the case id).
    pub const ID: &str = "id";
    /// Flag frames: the case the flagged row belongs to, if any.
    pub const VIEC_ID: &str = "viec_id";

    /// Facts: how many source rows (cases, receipts, decisions, flags, officers, petitions)
    /// a fact row sums. The incremental engine keeps a group while this is positive.
    pub const ROWS: &str = "__rows";
}

use names as n;

pub mod rollup;

/// The key of the single country row.
pub const COUNTRY_KEY: &str = "toan_quoc";

/// Launch date of the national digital platform (QH16 counts unsigned decisions from it).
pub const PLATFORM_LAUNCH: (i32, u32, u32) = (2025, 12, 12);

/// Additive columns of the monthly series.
pub const MONTHLY_ADDITIVE: [&str; 7] = [
    n::CASES_NEW,
    n::CASES_DONE,
    n::CASES_WITH_CONDITIONS,
    n::RECEIPTS_COUNT,
    n::RECEIPTS_AMOUNT,
    n::COMPLAINTS_RECEIVED,
    n::COMPLAINTS_RESOLVED,
];

// ───────────────────────────── parameters ─────────────────────────────

fn ymd(y: i32, m: u32, d: u32) -> Result<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| Error::DateRange(format!("{y}-{m}-{d}")))
}

fn days_before(date: NaiveDate, days: u64) -> Result<NaiveDate> {
    date.checked_sub_days(Days::new(days))
        .ok_or_else(|| Error::DateRange(format!("{date} - {days} days")))
}

fn months_before(date: NaiveDate, months: u32) -> Result<NaiveDate> {
    date.checked_sub_months(Months::new(months))
        .ok_or_else(|| Error::DateRange(format!("{date} - {months} months")))
}

/// The statistical year containing `date` (1 Oct (Y−1) – 30 Sep Y is year Y).
pub fn statistical_year(date: NaiveDate) -> i32 {
    if date.month() >= 10 {
        date.year() + 1
    } else {
        date.year()
    }
}

/// A statistical year seen from an as-of date (DOMAIN.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// Y, named by its end year.
    pub year: i32,
    /// S = (Y−1)-10-01.
    pub start: NaiveDate,
    /// E = Y-09-30.
    pub end: NaiveDate,
    /// D = min(E, as-of): the report date.
    pub report: NaiveDate,
    /// The as-of date of the data (for "today" measures).
    pub as_of: NaiveDate,
}

impl Period {
    /// Statistical year `year` as seen on `as_of`.
    ///
    /// # Errors
    /// [`Error::DateRange`] for a year chrono cannot represent.
    pub fn for_year(year: i32, as_of: NaiveDate) -> Result<Self> {
        let start = ymd(year - 1, 10, 1)?;
        let end = ymd(year, 9, 30)?;
        Ok(Self {
            year,
            start,
            end,
            report: end.min(as_of),
            as_of,
        })
    }

    /// The statistical year containing `as_of` ("năm nay").
    ///
    /// # Errors
    /// See [`Period::for_year`].
    pub fn containing(as_of: NaiveDate) -> Result<Self> {
        Self::for_year(statistical_year(as_of), as_of)
    }

    /// The statistical year before this one, seen from the same as-of date.
    ///
    /// # Errors
    /// See [`Period::for_year`].
    pub fn previous(&self) -> Result<Self> {
        Self::for_year(self.year - 1, self.as_of)
    }
}

/// A Polars `Date` literal.
pub fn date_lit(date: NaiveDate) -> Expr {
    lit(Scalar::new_date(epoch_days(date)))
}

fn between(column: &str, from: NaiveDate, to: NaiveDate) -> Expr {
    col(column)
        .gt_eq(date_lit(from))
        .and(col(column).lt_eq(date_lit(to)))
        .fill_null(lit(false))
}

fn is(column: &str, code: &str) -> Expr {
    col(column).eq(lit(code))
}

fn one_of(column: &str, codes: &[&str]) -> Expr {
    codes
        .iter()
        .map(|c| is(column, c))
        .reduce(Expr::or)
        .unwrap_or_else(|| lit(false))
}

fn null_i64() -> Expr {
    lit(NULL).cast(DataType::Int64)
}

fn null_str() -> Expr {
    lit(NULL).cast(DataType::String)
}

// ───────────────────────────── case predicates (viec_thi_hanh) ─────────────────────────────

/// Not transferred out: every KPI excludes `uy_thac` (counted by the receiving office).
pub fn not_transferred() -> Expr {
    col("trang_thai").neq(lit(tt::UY_THAC))
}

/// Finished in the headline sense: `xong` or `dinh_chi`.
pub fn is_finished() -> Expr {
    one_of("trang_thai", &[tt::XONG, tt::DINH_CHI])
}

/// K7 backlog (tồn đọng): a non-terminal state, now.
pub fn is_open() -> Expr {
    one_of("trang_thai", &tt::TERMINAL).not()
}

fn has_conditions() -> Expr {
    col("co_dieu_kien").eq(lit(1i64))
}

/// K1 phải thi hành (P) in the period: not `uy_thac`, `ngay_thu_ly <= D`, not finished
/// before S.
pub fn to_enforce(p: &Period) -> Expr {
    not_transferred()
        .and(col("ngay_thu_ly").lt_eq(date_lit(p.report)))
        .and(
            col("ngay_ket_thuc")
                .is_null()
                .or(col("ngay_ket_thuc").gt_eq(date_lit(p.start))),
        )
        .fill_null(lit(false))
}

/// K2 có điều kiện (C): P and `co_dieu_kien = 1`.
pub fn with_conditions(p: &Period) -> Expr {
    to_enforce(p).and(has_conditions())
}

/// K3 thi hành xong (X): C, `xong`/`dinh_chi`, `ngay_ket_thuc` in [S, D].
pub fn done(p: &Period) -> Expr {
    with_conditions(p)
        .and(is_finished())
        .and(between("ngay_ket_thuc", p.start, p.report))
}

/// K5 numerator per case: the full amount of a case *terminated* (`dinh_chi`) in the period,
/// else the amount collected so far.
pub fn money_counted_done(p: &Period) -> Expr {
    when(is("trang_thai", tt::DINH_CHI).and(between("ngay_ket_thuc", p.start, p.report)))
        .then(col("so_tien_phai_thi_hanh"))
        .otherwise(col("so_tien_da_thi_hanh"))
}

/// K6 thụ lý mới: `ngay_thu_ly` in [S, D] (and not `uy_thac`).
pub fn new_intake(p: &Period) -> Expr {
    not_transferred().and(between("ngay_thu_ly", p.start, p.report))
}

/// K8 chuyển kỳ sau from the period's year: not `uy_thac`, `ngay_thu_ly <= E`, not finished
/// by E. For the running year (D < E) that is every case still open.
pub fn carried_over(p: &Period) -> Expr {
    not_transferred()
        .and(col("ngay_thu_ly").lt_eq(date_lit(p.end)))
        .and(
            col("ngay_ket_thuc")
                .is_null()
                .or(col("ngay_ket_thuc").gt(date_lit(p.end))),
        )
        .fill_null(lit(false))
}

/// K14 per case: calendar days from `ngay_thu_ly` to `ngay_ket_thuc` (equal to the difference
/// of `lich.stt_ngay`, which counts days).
pub fn days_to_done() -> Expr {
    (col("ngay_ket_thuc").cast(DataType::Int32) - col("ngay_thu_ly").cast(DataType::Int32))
        .cast(DataType::Int64)
}

fn count_if(predicate: Expr, name: &str) -> Expr {
    predicate.cast(DataType::Int64).sum().alias(name)
}

fn sum_if(value: Expr, predicate: Expr, name: &str) -> Expr {
    when(predicate)
        .then(value.cast(DataType::Int64))
        .otherwise(lit(0i64))
        .sum()
        .alias(name)
}

/// The case measures of one group: K1, K2, K3, K6, the money of K5, K7, K8 (into this year
/// from `prev` and out of this one) and the day sum of K14.
pub fn case_measures(p: &Period, prev: &Period) -> Vec<Expr> {
    vec![
        count_if(to_enforce(p), n::CASES_TO_ENFORCE),
        count_if(with_conditions(p), n::CASES_WITH_CONDITIONS),
        count_if(
            to_enforce(p).and(has_conditions().not()),
            n::CASES_WITHOUT_CONDITIONS,
        ),
        count_if(done(p), n::CASES_DONE),
        count_if(new_intake(p), n::CASES_NEW),
        sum_if(
            col("so_tien_phai_thi_hanh"),
            to_enforce(p),
            n::MONEY_TO_ENFORCE,
        ),
        sum_if(
            col("so_tien_phai_thi_hanh"),
            with_conditions(p),
            n::MONEY_WITH_CONDITIONS,
        ),
        sum_if(money_counted_done(p), with_conditions(p), n::MONEY_DONE),
        count_if(is_open(), n::BACKLOG),
        count_if(is_open().and(has_conditions()), n::BACKLOG_WITH_CONDITIONS),
        count_if(carried_over(prev), n::CARRIED_IN),
        count_if(carried_over(p), n::CARRIED_OVER),
        count_if(
            carried_over(p).and(has_conditions()),
            n::CARRIED_OVER_WITH_CONDITIONS,
        ),
        sum_if(days_to_done(), done(p), n::DAYS_TO_DONE_SUM),
    ]
}

// ───────────────────────────── rates over summed facts ─────────────────────────────

fn pct(numerator: &str, denominator: &str) -> Expr {
    ratio(col(numerator) * lit(100.0), denominator)
}

fn ratio(numerator: Expr, denominator: &str) -> Expr {
    when(col(denominator).gt(lit(0i64)))
        .then(
            (numerator.cast(DataType::Float64) / col(denominator).cast(DataType::Float64))
                .round(2, RoundMode::HalfAwayFromZero),
        )
        .otherwise(lit(NULL).cast(DataType::Float64))
}

/// K4 tỷ lệ xong về việc: `ROUND(100·X / NULLIF(C, 0), 2)`.
pub fn done_rate_cases() -> Expr {
    pct(n::CASES_DONE, n::CASES_WITH_CONDITIONS).alias(n::DONE_RATE_CASES)
}

/// K5 tỷ lệ xong về tiền: `100·Σ money done / NULLIF(Σ money with conditions, 0)`.
pub fn done_rate_money() -> Expr {
    pct(n::MONEY_DONE, n::MONEY_WITH_CONDITIONS).alias(n::DONE_RATE_MONEY)
}

/// K10 năng suất CHV: X / active chấp hành viên in scope.
pub fn done_per_officer() -> Expr {
    ratio(col(n::CASES_DONE), n::OFFICERS).alias(n::DONE_PER_OFFICER)
}

/// K14 average days from thụ lý to xong over X.
pub fn avg_days_to_done() -> Expr {
    ratio(col(n::DAYS_TO_DONE_SUM), n::CASES_DONE).alias(n::AVG_DAYS_TO_DONE)
}

/// K11 e-receipt share (`AVG(dien_tu)`, in percent) of valid receipts in the period.
pub fn receipts_electronic_rate() -> Expr {
    pct(n::RECEIPTS_ELECTRONIC, n::RECEIPTS_COUNT).alias(n::RECEIPTS_ELECTRONIC_RATE)
}

/// K11 signed share (`AVG(ky_so)`, in percent) of valid receipts in the period.
pub fn receipts_signed_rate() -> Expr {
    pct(n::RECEIPTS_SIGNED, n::RECEIPTS_COUNT).alias(n::RECEIPTS_SIGNED_RATE)
}

/// K12 đơn giải quyết đúng hạn: on time / resolved in the period.
pub fn complaints_on_time_rate() -> Expr {
    pct(n::COMPLAINTS_RESOLVED_ON_TIME, n::COMPLAINTS_RESOLVED).alias(n::COMPLAINTS_ON_TIME_RATE)
}

/// K13 tỷ lệ quyết định ký số over decisions signed in the period.
pub fn decisions_signed_rate() -> Expr {
    pct(n::DECISIONS_SIGNED, n::DECISIONS).alias(n::DECISIONS_SIGNED_RATE)
}

/// K15 đạt chỉ tiêu: K4 ≥ target by cases and K5 ≥ target by money; null when a rate or a
/// target is missing.
pub fn meets_target() -> Expr {
    col(n::DONE_RATE_CASES)
        .gt_eq(col(n::TARGET_RATE_CASES))
        .and(col(n::DONE_RATE_MONEY).gt_eq(col(n::TARGET_RATE_MONEY)))
        .alias(n::MEETS_TARGET)
}

/// Adds every rate (K4, K5, K10–K15) to a table of summed facts with targets.
pub fn with_rates(summed: LazyFrame) -> LazyFrame {
    summed
        .with_columns([
            done_rate_cases(),
            done_rate_money(),
            done_per_officer(),
            avg_days_to_done(),
            receipts_electronic_rate(),
            receipts_signed_rate(),
            complaints_on_time_rate(),
            decisions_signed_rate(),
        ])
        .with_columns([meets_target()])
}

// ───────────────────────────── facts ─────────────────────────────

fn fact_keys(ma_tinh: Expr, don_vi_id: Expr, can_bo_id: Expr) -> [Expr; 3] {
    [
        ma_tinh.alias(n::MA_TINH),
        don_vi_id.alias(n::DON_VI_ID),
        can_bo_id.alias(n::CAN_BO_ID),
    ]
}

/// Case facts (K1–K8, K14 sums) of `viec_thi_hanh` per (province, office, officer).
pub fn case_facts(cases: LazyFrame, p: &Period, prev: &Period) -> LazyFrame {
    cases
        .filter(not_transferred())
        .group_by(fact_keys(
            col("ma_tinh"),
            col("don_vi_id"),
            col("chap_hanh_vien_id"),
        ))
        .agg(with_rows(case_measures(p, prev)))
}

/// `aggs` plus the source-row count [`names::ROWS`].
fn with_rows(mut aggs: Vec<Expr>) -> Vec<Expr> {
    aggs.push(len().cast(DataType::Int64).alias(n::ROWS));
    aggs
}

fn don_vi_lookup(don_vi: LazyFrame) -> LazyFrame {
    don_vi.select([
        col("id").alias("__dv_id"),
        col("ma").alias("__dv_ma"),
        col("ma_tinh").alias("__dv_ma_tinh"),
    ])
}

/// Active chấp hành viên (`la_chap_hanh_vien = 1`, `dang_cong_tac = 1`), the divisor of K10,
/// one row each, placed in the province of their unit.
pub fn officer_facts(can_bo: LazyFrame, don_vi: LazyFrame) -> LazyFrame {
    can_bo
        .filter(
            col("la_chap_hanh_vien")
                .eq(lit(1i64))
                .and(col("dang_cong_tac").eq(lit(1i64))),
        )
        .left_join(don_vi_lookup(don_vi), col("don_vi_id"), col("__dv_id"))
        .with_columns([lit(1i64).cast(DataType::Int64).alias(n::OFFICERS)])
        .select([
            col("__dv_ma_tinh").alias(n::MA_TINH),
            col("don_vi_id").alias(n::DON_VI_ID),
            col("id").alias(n::CAN_BO_ID),
            col(n::OFFICERS),
            col(n::OFFICERS).alias(n::ROWS),
        ])
}

/// K11 receipts per (province, office): valid (`hop_le`) receipts dated in [S, D], by channel,
/// e-receipts and signed ones, plus those dated on the as-of day.
pub fn receipt_facts(receipts: LazyFrame, p: &Period) -> LazyFrame {
    let in_period = between("ngay_thu", p.start, p.report);
    let today = col("ngay_thu").eq(date_lit(p.as_of));
    receipts
        .filter(is("trang_thai", "hop_le"))
        .group_by(fact_keys(col("ma_tinh"), col("don_vi_id"), null_i64()))
        .agg(with_rows(vec![
            count_if(in_period.clone(), n::RECEIPTS_COUNT),
            sum_if(col("so_tien"), in_period.clone(), n::RECEIPTS_AMOUNT),
            sum_if(col("dien_tu"), in_period.clone(), n::RECEIPTS_ELECTRONIC),
            sum_if(col("ky_so"), in_period.clone(), n::RECEIPTS_SIGNED),
            count_if(
                in_period.clone().and(is("kenh_gui", "email")),
                n::RECEIPTS_EMAIL,
            ),
            count_if(
                in_period.clone().and(is("kenh_gui", "sms")),
                n::RECEIPTS_SMS,
            ),
            count_if(in_period.and(is("kenh_gui", "giay")), n::RECEIPTS_PAPER),
            count_if(today.clone(), n::RECEIPTS_TODAY),
            sum_if(col("so_tien"), today, n::RECEIPTS_TODAY_AMOUNT),
        ]))
}

/// K12 petitions (all `don_thu`: khiếu nại, tố cáo, kiến nghị) per (province, office): open now,
/// received in [S, D], resolved in [S, D] and resolved on time.
pub fn complaint_facts(petitions: LazyFrame, p: &Period) -> LazyFrame {
    let resolved =
        is("trang_thai", "da_giai_quyet").and(between("ngay_giai_quyet", p.start, p.report));
    let on_time = col("ngay_giai_quyet")
        .lt_eq(col("han_giai_quyet"))
        .fill_null(lit(false));
    petitions
        .group_by(fact_keys(col("ma_tinh"), col("don_vi_id"), null_i64()))
        .agg(with_rows(vec![
            count_if(
                one_of("trang_thai", &["moi", "dang_giai_quyet"]),
                n::COMPLAINTS_OPEN,
            ),
            count_if(
                between("ngay_nhan", p.start, p.report),
                n::COMPLAINTS_RECEIVED,
            ),
            count_if(resolved.clone(), n::COMPLAINTS_RESOLVED),
            count_if(resolved.and(on_time), n::COMPLAINTS_RESOLVED_ON_TIME),
        ]))
}

fn case_lookup(cases: LazyFrame) -> LazyFrame {
    cases.select([
        col("id").alias("__v_id"),
        col("ma_tinh").alias("__v_ma_tinh"),
        col("don_vi_id").alias("__v_don_vi_id"),
        col("chap_hanh_vien_id").alias("__v_chv"),
        col("trang_thai").alias("__v_trang_thai"),
    ])
}

/// K13 decisions signed in [S, D] (by `ngay_ky`) and how many carry a digital signature, per
/// (province, office, officer) of their case.
pub fn decision_facts(decisions: LazyFrame, cases: LazyFrame, p: &Period) -> LazyFrame {
    decisions
        .filter(between("ngay_ky", p.start, p.report))
        .inner_join(case_lookup(cases), col("viec_id"), col("__v_id"))
        .group_by(fact_keys(
            col("__v_ma_tinh"),
            col("__v_don_vi_id"),
            col("__v_chv"),
        ))
        .agg(with_rows(vec![
            len().cast(DataType::Int64).alias(n::DECISIONS),
            col("ky_so")
                .cast(DataType::Int64)
                .sum()
                .alias(n::DECISIONS_SIGNED),
        ]))
}

/// K9 per (province, office, officer): flagged rows in total and per rule.
pub fn overdue_facts(flags: LazyFrame) -> LazyFrame {
    let mut aggs = with_rows(vec![len().cast(DataType::Int64).alias(n::OVERDUE_TOTAL)]);
    aggs.extend(
        RuleId::ALL
            .iter()
            .map(|r| count_if(is(n::RULE, r.code()), r.column())),
    );
    flags
        .group_by(fact_keys(
            col(n::MA_TINH),
            col(n::DON_VI_ID),
            col(n::CAN_BO_ID),
        ))
        .agg(aggs)
}

/// Every fact source of the snapshot in one frame (diagonal union: each source fills its own
/// columns, the others are null and sum as 0).
///
/// # Errors
/// [`Error::Polars`] if the plans cannot be combined.
pub fn all_facts(
    frames: &Frames,
    p: &Period,
    prev: &Period,
    rules: &RuleParams,
) -> Result<LazyFrame> {
    let parts = [
        case_side_facts(frames, p, prev, rules)?,
        receipt_facts(frames.lazy(Table::BienLai), p),
        small_facts(frames, p, rules)?,
    ];
    Ok(concat_lf_diagonal(parts, UnionArgs::default())?)
}

/// The facts that are a sum over cases of what one case and its own decisions, measures and
/// receipts give: case facts, decision facts and the case rules' flags ([`CASE_RULES`]).
/// Restricted to some cases (and their children), it gives exactly those cases' share.
///
/// # Errors
/// [`Error::Polars`] if the plans cannot be combined.
pub fn case_side_facts(
    frames: &Frames,
    p: &Period,
    prev: &Period,
    rules: &RuleParams,
) -> Result<LazyFrame> {
    case_side_facts_with(frames, p, prev, rule_flags(frames, &CASE_RULES, rules)?)
}

/// [`case_side_facts`] with the flags of the case rules given (`flags`: [`rule_flags`] of
/// [`CASE_RULES`] on the same frames, e.g. collected once and also used for alerts).
///
/// # Errors
/// [`Error::Polars`] if the plans cannot be combined.
pub fn case_side_facts_with(
    frames: &Frames,
    p: &Period,
    prev: &Period,
    flags: LazyFrame,
) -> Result<LazyFrame> {
    let cases = frames.lazy(Table::ViecThiHanh);
    let parts = [
        case_facts(cases.clone(), p, prev),
        decision_facts(frames.lazy(Table::QuyetDinh), cases, p),
        overdue_facts(flags),
    ];
    Ok(concat_lf_diagonal(parts, UnionArgs::default())?)
}

/// The facts of the small tables, cheap to recompute whole: active officers, petitions and the
/// petition and task rules ([`OTHER_RULES`]).
///
/// # Errors
/// [`Error::Polars`] if the plans cannot be combined.
pub fn small_facts(frames: &Frames, p: &Period, rules: &RuleParams) -> Result<LazyFrame> {
    let parts = [
        officer_facts(frames.lazy(Table::CanBo), frames.lazy(Table::DonVi)),
        complaint_facts(frames.lazy(Table::DonThu), p),
        overdue_facts(rule_flags(frames, &OTHER_RULES, rules)?),
    ];
    Ok(concat_lf_diagonal(parts, UnionArgs::default())?)
}

// ───────────────────────────── levels ─────────────────────────────

/// A regional grouping of provinces (`tinh.mien` or `tinh.vung`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionKind {
    /// `bac` / `trung` / `nam`.
    Mien,
    /// The 6 socio-economic regions.
    Vung,
}

impl RegionKind {
    const fn column(self) -> &'static str {
        match self {
            RegionKind::Mien => "mien",
            RegionKind::Vung => "vung",
        }
    }
}

/// Where a KPI row is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// The whole country (one row, key [`COUNTRY_KEY`]).
    Country,
    /// A region of provinces.
    Region(RegionKind),
    /// A province (`ma_tinh`), incl. its provincial office and regional offices.
    Province,
    /// An office (`don_vi`; key `don_vi.ma`), the Cục included for petitions and tasks.
    Office,
    /// A chấp hành viên (key `can_bo.id`); only case, decision and overdue measures.
    Officer,
}

impl Level {
    /// Every level, coarse to fine.
    pub const ALL: [Level; 6] = [
        Level::Country,
        Level::Region(RegionKind::Mien),
        Level::Region(RegionKind::Vung),
        Level::Province,
        Level::Office,
        Level::Officer,
    ];
}

/// The organisation tables the roll-ups join (cheap lazy scans).
#[derive(Clone)]
pub struct Org {
    pub tinh: LazyFrame,
    pub don_vi: LazyFrame,
    pub can_bo: LazyFrame,
}

impl Org {
    /// Scans of `tinh`, `don_vi` and `can_bo`.
    pub fn from_frames(frames: &Frames) -> Self {
        Self {
            tinh: frames.lazy(Table::Tinh),
            don_vi: frames.lazy(Table::DonVi),
            can_bo: frames.lazy(Table::CanBo),
        }
    }
}

/// Sums `measures` of `facts` to `level`, grouped also by the `by` columns (e.g. the month).
/// The output has [`names::KEY`], [`names::MA_TINH`], [`names::DON_VI_ID`],
/// [`names::CAN_BO_ID`] (null where the level has none), `by` and the measures.
pub fn roll_up(
    facts: LazyFrame,
    level: Level,
    org: &Org,
    by: &[&str],
    measures: &[&str],
) -> LazyFrame {
    let sums: Vec<Expr> = measures
        .iter()
        .map(|m| col(*m).sum().cast(DataType::Int64).alias(*m))
        .collect();
    let keys = |first: Vec<Expr>| -> Vec<Expr> {
        first
            .into_iter()
            .chain(by.iter().map(|b| col(*b)))
            .collect()
    };
    let grouped = match level {
        Level::Country => facts
            .with_columns([lit(COUNTRY_KEY).alias(n::KEY)])
            .group_by(keys(vec![col(n::KEY)]))
            .agg(sums)
            .with_columns([null_str().alias(n::MA_TINH), null_i64().alias(n::DON_VI_ID)]),
        Level::Region(kind) => facts
            .left_join(
                org.tinh.clone().select([
                    col("ma_tinh").alias("__t_ma"),
                    col(kind.column()).alias(n::KEY),
                ]),
                col(n::MA_TINH),
                col("__t_ma"),
            )
            .filter(col(n::KEY).is_not_null())
            .group_by(keys(vec![col(n::KEY)]))
            .agg(sums)
            .with_columns([null_str().alias(n::MA_TINH), null_i64().alias(n::DON_VI_ID)]),
        Level::Province => facts
            .filter(col(n::MA_TINH).is_not_null())
            .group_by(keys(vec![col(n::MA_TINH)]))
            .agg(sums)
            .with_columns([
                col(n::MA_TINH).alias(n::KEY),
                null_i64().alias(n::DON_VI_ID),
            ]),
        Level::Office => facts
            .filter(col(n::DON_VI_ID).is_not_null())
            .group_by(keys(vec![col(n::DON_VI_ID)]))
            .agg(sums)
            .left_join(
                don_vi_lookup(org.don_vi.clone()),
                col(n::DON_VI_ID),
                col("__dv_id"),
            )
            .with_columns([
                col("__dv_ma_tinh").alias(n::MA_TINH),
                col("__dv_ma")
                    .fill_null(col(n::DON_VI_ID).cast(DataType::String))
                    .alias(n::KEY),
            ]),
        Level::Officer => facts
            .filter(col(n::CAN_BO_ID).is_not_null())
            .group_by(keys(vec![col(n::CAN_BO_ID)]))
            .agg(sums)
            .left_join(
                org.can_bo.clone().select([
                    col("id").alias("__cb_id"),
                    col("don_vi_id").alias(n::DON_VI_ID),
                ]),
                col(n::CAN_BO_ID),
                col("__cb_id"),
            )
            .left_join(
                don_vi_lookup(org.don_vi.clone()),
                col(n::DON_VI_ID),
                col("__dv_id"),
            )
            .with_columns([
                col("__dv_ma_tinh").alias(n::MA_TINH),
                col(n::CAN_BO_ID).cast(DataType::String).alias(n::KEY),
            ]),
    };
    let can_bo = if level == Level::Officer {
        col(n::CAN_BO_ID)
    } else {
        null_i64().alias(n::CAN_BO_ID)
    };
    let mut cols = vec![col(n::KEY), col(n::MA_TINH), col(n::DON_VI_ID), can_bo];
    cols.extend(by.iter().map(|b| col(*b)));
    cols.extend(measures.iter().map(|m| col(*m)));
    let mut sort_by = vec![n::KEY];
    sort_by.extend_from_slice(by);
    grouped
        .select(cols)
        .sort(sort_by, SortMultipleOptions::default())
}

/// Attaches the targets of statistical year `year` (`chi_tieu`): the unit's own row, else its
/// province's (the `cap='tinh'` unit), else the national one (the `cap='cuc'` unit). Countries
/// and regions get the national target.
pub fn with_targets(
    table: LazyFrame,
    chi_tieu: LazyFrame,
    don_vi: LazyFrame,
    year: i32,
) -> LazyFrame {
    let rows = chi_tieu
        .filter(col("nam_thong_ke").eq(lit(i64::from(year))))
        .inner_join(
            don_vi.select([
                col("id").alias("__ct_dv"),
                col("cap").alias("__ct_cap"),
                col("ma_tinh").alias("__ct_ma_tinh"),
            ]),
            col("don_vi_id"),
            col("__ct_dv"),
        );
    let unit = rows.clone().select([
        col("don_vi_id").alias("__tu_id"),
        col("ty_le_viec").alias("__tu_c"),
        col("ty_le_tien").alias("__tu_m"),
    ]);
    let province = rows.clone().filter(is("__ct_cap", "tinh")).select([
        col("__ct_ma_tinh").alias("__tp_id"),
        col("ty_le_viec").alias("__tp_c"),
        col("ty_le_tien").alias("__tp_m"),
    ]);
    let national = rows
        .filter(is("__ct_cap", "cuc"))
        .with_columns([lit(1i32).alias("__tn_id")])
        .select([
            col("__tn_id"),
            col("ty_le_viec").alias("__tn_c"),
            col("ty_le_tien").alias("__tn_m"),
        ]);
    table
        .with_columns([lit(1i32).alias("__one")])
        .left_join(unit, col(n::DON_VI_ID), col("__tu_id"))
        .left_join(province, col(n::MA_TINH), col("__tp_id"))
        .left_join(national, col("__one"), col("__tn_id"))
        .with_columns([
            coalesce(&[col("__tu_c"), col("__tp_c"), col("__tn_c")]).alias(n::TARGET_RATE_CASES),
            coalesce(&[col("__tu_m"), col("__tp_m"), col("__tn_m")]).alias(n::TARGET_RATE_MONEY),
        ])
        .drop(cols([
            "__one", "__tu_c", "__tu_m", "__tp_c", "__tp_m", "__tn_c", "__tn_m",
        ]))
}

/// The full KPI table of one level: summed facts, targets of `year`, rates.
pub fn kpi_table(
    facts: LazyFrame,
    level: Level,
    org: &Org,
    chi_tieu: LazyFrame,
    year: i32,
) -> LazyFrame {
    let summed = roll_up(facts, level, org, &[], &level_measures());
    with_rates(with_targets(summed, chi_tieu, org.don_vi.clone(), year))
        .sort([n::KEY], SortMultipleOptions::default())
}

/// Every additive fact column; levels sum them (rates are derived after summing).
pub const ADDITIVE: [&str; 31] = [
    n::CASES_TO_ENFORCE,
    n::CASES_WITH_CONDITIONS,
    n::CASES_WITHOUT_CONDITIONS,
    n::CASES_DONE,
    n::CASES_NEW,
    n::MONEY_TO_ENFORCE,
    n::MONEY_WITH_CONDITIONS,
    n::MONEY_DONE,
    n::BACKLOG,
    n::BACKLOG_WITH_CONDITIONS,
    n::CARRIED_IN,
    n::CARRIED_OVER,
    n::CARRIED_OVER_WITH_CONDITIONS,
    n::DAYS_TO_DONE_SUM,
    n::OFFICERS,
    n::RECEIPTS_COUNT,
    n::RECEIPTS_AMOUNT,
    n::RECEIPTS_ELECTRONIC,
    n::RECEIPTS_SIGNED,
    n::RECEIPTS_EMAIL,
    n::RECEIPTS_SMS,
    n::RECEIPTS_PAPER,
    n::RECEIPTS_TODAY,
    n::RECEIPTS_TODAY_AMOUNT,
    n::COMPLAINTS_OPEN,
    n::COMPLAINTS_RECEIVED,
    n::COMPLAINTS_RESOLVED,
    n::COMPLAINTS_RESOLVED_ON_TIME,
    n::DECISIONS,
    n::DECISIONS_SIGNED,
    n::OVERDUE_TOTAL,
];

fn level_measures() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = ADDITIVE.to_vec();
    all.extend(RuleId::ALL.iter().map(|r| r.column()));
    all
}

// ───────────────────────────── overdue rules ─────────────────────────────

/// An overdue rule of DOMAIN.md §3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RuleId {
    Qh01,
    Qh02,
    Qh03,
    Qh04,
    Qh05,
    Qh06,
    Qh07,
    Qh08,
    Qh09,
    Qh10,
    Qh11,
    Qh12,
    Qh13,
    Qh14,
    Qh15,
    Qh16,
}

impl RuleId {
    /// Every rule, in id order.
    pub const ALL: [RuleId; 16] = [
        RuleId::Qh01,
        RuleId::Qh02,
        RuleId::Qh03,
        RuleId::Qh04,
        RuleId::Qh05,
        RuleId::Qh06,
        RuleId::Qh07,
        RuleId::Qh08,
        RuleId::Qh09,
        RuleId::Qh10,
        RuleId::Qh11,
        RuleId::Qh12,
        RuleId::Qh13,
        RuleId::Qh14,
        RuleId::Qh15,
        RuleId::Qh16,
    ];

    /// The rule id as DOMAIN.md writes it (`QH01`).
    pub const fn code(self) -> &'static str {
        match self {
            RuleId::Qh01 => "QH01",
            RuleId::Qh02 => "QH02",
            RuleId::Qh03 => "QH03",
            RuleId::Qh04 => "QH04",
            RuleId::Qh05 => "QH05",
            RuleId::Qh06 => "QH06",
            RuleId::Qh07 => "QH07",
            RuleId::Qh08 => "QH08",
            RuleId::Qh09 => "QH09",
            RuleId::Qh10 => "QH10",
            RuleId::Qh11 => "QH11",
            RuleId::Qh12 => "QH12",
            RuleId::Qh13 => "QH13",
            RuleId::Qh14 => "QH14",
            RuleId::Qh15 => "QH15",
            RuleId::Qh16 => "QH16",
        }
    }

    /// The per-rule count column of facts and level tables (`overdue_qh01`).
    pub const fn column(self) -> &'static str {
        match self {
            RuleId::Qh01 => "overdue_qh01",
            RuleId::Qh02 => "overdue_qh02",
            RuleId::Qh03 => "overdue_qh03",
            RuleId::Qh04 => "overdue_qh04",
            RuleId::Qh05 => "overdue_qh05",
            RuleId::Qh06 => "overdue_qh06",
            RuleId::Qh07 => "overdue_qh07",
            RuleId::Qh08 => "overdue_qh08",
            RuleId::Qh09 => "overdue_qh09",
            RuleId::Qh10 => "overdue_qh10",
            RuleId::Qh11 => "overdue_qh11",
            RuleId::Qh12 => "overdue_qh12",
            RuleId::Qh13 => "overdue_qh13",
            RuleId::Qh14 => "overdue_qh14",
            RuleId::Qh15 => "overdue_qh15",
            RuleId::Qh16 => "overdue_qh16",
        }
    }

    /// The flag's Vietnamese label, as in DOMAIN.md §3 (reference data, like province names).
    pub const fn label(self) -> &'static str {
        match self {
            RuleId::Qh01 => "Ra QĐ THA chậm",
            RuleId::Qh02 => "Chưa ra QĐ THA quá hạn",
            RuleId::Qh03 => "Chưa xác minh quá hạn",
            RuleId::Qh04 => "Quá hạn xác minh lại",
            RuleId::Qh05 => "Hoãn kéo dài",
            RuleId::Qh06 => "Tạm đình chỉ kéo dài",
            RuleId::Qh07 => "Thu đủ tiền chưa kết thúc",
            RuleId::Qh08 => "Có điều kiện nhưng chưa tác động",
            RuleId::Qh09 => "Kê biên chưa thẩm định giá",
            RuleId::Qh10 => "Thẩm định giá chưa đấu giá",
            RuleId::Qh11 => "Việc có điều kiện tồn quá 12 tháng",
            RuleId::Qh12 => "Đơn quá hạn (chưa giải quyết)",
            RuleId::Qh13 => "Đơn giải quyết trễ hạn",
            RuleId::Qh14 => "Đơn chưa thụ lý quá hạn",
            RuleId::Qh15 => "Nhiệm vụ quá hạn",
            RuleId::Qh16 => "Quyết định chưa ký số",
        }
    }

    /// The table whose rows the rule flags ([`names::ID`] is an id of it).
    pub const fn subject(self) -> Table {
        match self {
            RuleId::Qh12 | RuleId::Qh13 | RuleId::Qh14 => Table::DonThu,
            RuleId::Qh15 => Table::NhiemVu,
            RuleId::Qh16 => Table::QuyetDinh,
            _ => Table::ViecThiHanh,
        }
    }
}

/// The dates the rules compare with, computed once from the as-of date ("`:as_of − N`" of
/// DOMAIN.md §3), and `wd(as_of)` looked up in `lich`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleParams {
    pub as_of: NaiveDate,
    /// `lich.stt_ngay_lam_viec` of the as-of date.
    pub as_of_working_day: i64,
    pub minus_10_days: NaiveDate,
    pub minus_25_days: NaiveDate,
    pub minus_55_days: NaiveDate,
    pub minus_60_days: NaiveDate,
    pub minus_90_days: NaiveDate,
    pub minus_180_days: NaiveDate,
    pub minus_6_months: NaiveDate,
    pub minus_12_months: NaiveDate,
    /// QH16 counts decisions signed on or after this date.
    pub platform_launch: NaiveDate,
}

impl RuleParams {
    /// Parameters for `as_of`, with the working-day ordinal given by the caller.
    ///
    /// # Errors
    /// [`Error::DateRange`] when a date falls outside chrono's range.
    pub fn with_working_day(as_of: NaiveDate, as_of_working_day: i64) -> Result<Self> {
        let (y, m, d) = PLATFORM_LAUNCH;
        Ok(Self {
            as_of,
            as_of_working_day,
            minus_10_days: days_before(as_of, 10)?,
            minus_25_days: days_before(as_of, 25)?,
            minus_55_days: days_before(as_of, 55)?,
            minus_60_days: days_before(as_of, 60)?,
            minus_90_days: days_before(as_of, 90)?,
            minus_180_days: days_before(as_of, 180)?,
            minus_6_months: months_before(as_of, 6)?,
            minus_12_months: months_before(as_of, 12)?,
            platform_launch: ymd(y, m, d)?,
        })
    }

    /// Parameters for `as_of`, looking `wd(as_of)` up in the store's `lich`.
    ///
    /// # Errors
    /// [`Error::Calendar`] when `lich` has no row for `as_of`; [`Error::Polars`] if the lookup
    /// fails.
    pub fn new(frames: &Frames, as_of: NaiveDate) -> Result<Self> {
        let found = frames
            .lazy(Table::Lich)
            .filter(col("ngay").eq(date_lit(as_of)))
            .select([col("stt_ngay_lam_viec")])
            .collect()?;
        if found.height() == 0 {
            return Err(Error::Calendar(as_of));
        }
        let wd = found
            .column("stt_ngay_lam_viec")?
            .i64()?
            .get(0)
            .ok_or(Error::Calendar(as_of))?;
        Self::with_working_day(as_of, wd)
    }
}

/// Adds `out` = `lich.stt_ngay_lam_viec` of the date in `date_col` (null when missing).
fn with_working_day(lf: LazyFrame, lich: LazyFrame, date_col: &str, out: &str) -> LazyFrame {
    let key = format!("__wd_key_{out}");
    let calendar = lich.select([
        col("ngay").alias(key.as_str()),
        col("stt_ngay_lam_viec").alias(out),
    ]);
    lf.left_join(calendar, col(date_col), col(key.as_str()))
}

/// Flag rows of cases: `lf` has the `viec_thi_hanh` columns `id`, `ma_tinh`, `don_vi_id`,
/// `chap_hanh_vien_id`.
fn case_flags(lf: LazyFrame, rule: RuleId) -> LazyFrame {
    lf.with_columns([lit(rule.code()).alias(n::RULE)]).select([
        col(n::RULE),
        col("id").alias(n::ID),
        col("id").alias(n::VIEC_ID),
        col("ma_tinh").alias(n::MA_TINH),
        col("don_vi_id").alias(n::DON_VI_ID),
        col("chap_hanh_vien_id").alias(n::CAN_BO_ID),
    ])
}

fn case_keys(cases: LazyFrame) -> LazyFrame {
    cases.select([
        col("id"),
        col("ma_tinh"),
        col("don_vi_id"),
        col("chap_hanh_vien_id"),
        col("trang_thai"),
    ])
}

/// QH01 Ra QĐ THA chậm: `wd(ngay_ra_quyet_dinh) − wd(ngay_thu_ly) > 5`.
pub fn qh01_late_decision(cases: LazyFrame, lich: LazyFrame) -> LazyFrame {
    let lf = cases.filter(col("ngay_ra_quyet_dinh").is_not_null());
    let lf = with_working_day(lf, lich.clone(), "ngay_thu_ly", "__wd_tl");
    let lf = with_working_day(lf, lich, "ngay_ra_quyet_dinh", "__wd_qd");
    case_flags(
        lf.filter((col("__wd_qd") - col("__wd_tl")).gt(lit(5i64))),
        RuleId::Qh01,
    )
}

/// QH02 Chưa ra QĐ THA quá hạn: `cho_ra_quyet_dinh` and `wd(as_of) − wd(ngay_thu_ly) > 5`.
pub fn qh02_decision_overdue(cases: LazyFrame, lich: LazyFrame, r: &RuleParams) -> LazyFrame {
    let lf = cases.filter(is("trang_thai", tt::CHO_RA_QUYET_DINH));
    let lf = with_working_day(lf, lich, "ngay_thu_ly", "__wd_tl");
    case_flags(
        lf.filter((lit(r.as_of_working_day) - col("__wd_tl")).gt(lit(5i64))),
        RuleId::Qh02,
    )
}

/// QH03 Chưa xác minh quá hạn: `dang_thi_hanh`, never verified, QĐ before as-of − 25 days.
pub fn qh03_not_verified(cases: LazyFrame, r: &RuleParams) -> LazyFrame {
    case_flags(
        cases.filter(
            is("trang_thai", tt::DANG_THI_HANH)
                .and(col("ngay_xac_minh").is_null())
                .and(col("ngay_ra_quyet_dinh").lt(date_lit(r.minus_25_days))),
        ),
        RuleId::Qh03,
    )
}

/// QH04 Quá hạn xác minh lại: `chua_co_dieu_kien`, last verification missing or before
/// as-of − 6 months.
pub fn qh04_reverification_overdue(cases: LazyFrame, r: &RuleParams) -> LazyFrame {
    case_flags(
        cases.filter(
            is("trang_thai", tt::CHUA_CO_DIEU_KIEN).and(
                col("ngay_xac_minh")
                    .is_null()
                    .or(col("ngay_xac_minh").lt(date_lit(r.minus_6_months))),
            ),
        ),
        RuleId::Qh04,
    )
}

/// Cases in `state` whose latest decision of kind `loai` was signed before `before`.
fn latest_decision_before(
    cases: LazyFrame,
    decisions: LazyFrame,
    state: &str,
    loai: &str,
    before: NaiveDate,
    rule: RuleId,
) -> LazyFrame {
    let latest = decisions
        .filter(is("loai", loai))
        .group_by([col("viec_id")])
        .agg([col("ngay_ky").max().alias("__latest")]);
    case_flags(
        cases
            .filter(is("trang_thai", state))
            .inner_join(latest, col("id"), col("viec_id"))
            .filter(col("__latest").lt(date_lit(before))),
        rule,
    )
}

/// QH05 Hoãn kéo dài: `hoan` and the latest QĐ hoãn signed before as-of − 90 days.
pub fn qh05_long_postponement(cases: LazyFrame, decisions: LazyFrame, r: &RuleParams) -> LazyFrame {
    latest_decision_before(
        cases,
        decisions,
        tt::HOAN,
        "hoan",
        r.minus_90_days,
        RuleId::Qh05,
    )
}

/// QH06 Tạm đình chỉ kéo dài: `tam_dinh_chi` and the latest QĐ tạm đình chỉ signed before
/// as-of − 180 days.
pub fn qh06_long_suspension(cases: LazyFrame, decisions: LazyFrame, r: &RuleParams) -> LazyFrame {
    latest_decision_before(
        cases,
        decisions,
        tt::TAM_DINH_CHI,
        "tam_dinh_chi",
        r.minus_180_days,
        RuleId::Qh06,
    )
}

/// QH07 Thu đủ tiền chưa kết thúc: `dang_thi_hanh`, amount > 0 fully collected, and the last
/// valid receipt before as-of − 10 days (a case without receipts is not flagged).
pub fn qh07_collected_not_closed(
    cases: LazyFrame,
    receipts: LazyFrame,
    r: &RuleParams,
) -> LazyFrame {
    let last = receipts
        .filter(is("trang_thai", "hop_le").and(col("viec_id").is_not_null()))
        .group_by([col("viec_id")])
        .agg([col("ngay_thu").max().alias("__last_receipt")]);
    case_flags(
        cases
            .filter(
                is("trang_thai", tt::DANG_THI_HANH)
                    .and(col("so_tien_phai_thi_hanh").gt(lit(0i64)))
                    .and(col("so_tien_da_thi_hanh").gt_eq(col("so_tien_phai_thi_hanh"))),
            )
            .inner_join(last, col("id"), col("viec_id"))
            .filter(col("__last_receipt").lt(date_lit(r.minus_10_days))),
        RuleId::Qh07,
    )
}

/// QH08 Có điều kiện nhưng chưa tác động: `dang_thi_hanh`, verified before as-of − 60 days,
/// nothing collected, no enforcement measure at all.
pub fn qh08_no_action(cases: LazyFrame, measures: LazyFrame, r: &RuleParams) -> LazyFrame {
    case_flags(
        cases
            .filter(
                is("trang_thai", tt::DANG_THI_HANH)
                    .and(col("ngay_xac_minh").lt(date_lit(r.minus_60_days)))
                    .and(col("so_tien_da_thi_hanh").eq(lit(0i64))),
            )
            .anti_join(measures.select([col("viec_id")]), col("id"), col("viec_id")),
        RuleId::Qh08,
    )
}

/// Measures of kind `first` (date `__first`) of a case with no measure of kind `then` on or
/// after that date.
fn step_without_follow_up(measures: LazyFrame, first: &str, then: &str) -> LazyFrame {
    let follow = measures
        .clone()
        .filter(is("loai", then))
        .group_by([col("viec_id")])
        .agg([col("ngay_thuc_hien").max().alias("__then_max")]);
    measures
        .filter(is("loai", first))
        .select([col("viec_id"), col("ngay_thuc_hien").alias("__first")])
        .left_join(follow, col("viec_id"), col("viec_id"))
        .filter(
            col("__then_max")
                .is_null()
                .or(col("__then_max").lt(col("__first"))),
        )
}

fn open_case_flags(steps: LazyFrame, cases: LazyFrame, rule: RuleId) -> LazyFrame {
    let open = case_keys(cases).filter(is_open());
    case_flags(
        steps
            .select([col("viec_id")])
            .unique_stable_generic(None, UniqueKeepStrategy::First)
            .inner_join(open, col("viec_id"), col("id"))
            .with_columns([col("viec_id").alias("id")]),
        rule,
    )
}

/// QH09 Kê biên chưa thẩm định giá: a non-terminal case with a `ke_bien_tai_san` at k, no
/// `tham_dinh_gia` on/after k and `wd(as_of) − wd(k) > 5`. Flags each case once.
pub fn qh09_attached_not_valued(
    cases: LazyFrame,
    measures: LazyFrame,
    lich: LazyFrame,
    r: &RuleParams,
) -> LazyFrame {
    let steps = step_without_follow_up(measures, "ke_bien_tai_san", "tham_dinh_gia");
    let steps = with_working_day(steps, lich, "__first", "__wd_k")
        .filter((lit(r.as_of_working_day) - col("__wd_k")).gt(lit(5i64)));
    open_case_flags(steps, cases, RuleId::Qh09)
}

/// QH10 Thẩm định giá chưa đấu giá: a non-terminal case with a `tham_dinh_gia` at t before
/// as-of − 55 days and no `ban_dau_gia` on/after t. Flags each case once.
pub fn qh10_valued_not_auctioned(
    cases: LazyFrame,
    measures: LazyFrame,
    r: &RuleParams,
) -> LazyFrame {
    let steps = step_without_follow_up(measures, "tham_dinh_gia", "ban_dau_gia")
        .filter(col("__first").lt(date_lit(r.minus_55_days)));
    open_case_flags(steps, cases, RuleId::Qh10)
}

/// QH11 Việc có điều kiện tồn quá 12 tháng: non-terminal, `co_dieu_kien = 1`, thụ lý before
/// as-of − 12 months.
pub fn qh11_old_enforceable(cases: LazyFrame, r: &RuleParams) -> LazyFrame {
    case_flags(
        cases.filter(
            is_open()
                .and(has_conditions())
                .and(col("ngay_thu_ly").lt(date_lit(r.minus_12_months))),
        ),
        RuleId::Qh11,
    )
}

fn petition_flags(lf: LazyFrame, rule: RuleId) -> LazyFrame {
    lf.with_columns([lit(rule.code()).alias(n::RULE)]).select([
        col(n::RULE),
        col("id").alias(n::ID),
        col("viec_id").alias(n::VIEC_ID),
        col("ma_tinh").alias(n::MA_TINH),
        col("don_vi_id").alias(n::DON_VI_ID),
        null_i64().alias(n::CAN_BO_ID),
    ])
}

/// QH12 Đơn quá hạn: `moi`/`dang_giai_quyet` with `han_giai_quyet < as_of`.
pub fn qh12_petition_overdue(petitions: LazyFrame, r: &RuleParams) -> LazyFrame {
    petition_flags(
        petitions.filter(
            one_of("trang_thai", &["moi", "dang_giai_quyet"])
                .and(col("han_giai_quyet").lt(date_lit(r.as_of))),
        ),
        RuleId::Qh12,
    )
}

/// QH13 Đơn giải quyết trễ hạn: `ngay_giai_quyet > han_giai_quyet` (any time).
pub fn qh13_petition_resolved_late(petitions: LazyFrame) -> LazyFrame {
    petition_flags(
        petitions.filter(col("ngay_giai_quyet").gt(col("han_giai_quyet"))),
        RuleId::Qh13,
    )
}

/// QH14 Đơn chưa thụ lý quá hạn: `moi` and received before as-of − 10 days.
pub fn qh14_petition_not_accepted(petitions: LazyFrame, r: &RuleParams) -> LazyFrame {
    petition_flags(
        petitions
            .filter(is("trang_thai", "moi").and(col("ngay_nhan").lt(date_lit(r.minus_10_days)))),
        RuleId::Qh14,
    )
}

/// QH15 Nhiệm vụ quá hạn: `moi`/`dang_thuc_hien` with `han_hoan_thanh < as_of`; placed at the
/// assignee unit and its province.
pub fn qh15_task_overdue(tasks: LazyFrame, don_vi: LazyFrame, r: &RuleParams) -> LazyFrame {
    tasks
        .filter(
            one_of("trang_thai", &["moi", "dang_thuc_hien"])
                .and(col("han_hoan_thanh").lt(date_lit(r.as_of))),
        )
        .left_join(don_vi_lookup(don_vi), col("don_vi_id"), col("__dv_id"))
        .with_columns([lit(RuleId::Qh15.code()).alias(n::RULE)])
        .select([
            col(n::RULE),
            col("id").alias(n::ID),
            null_i64().alias(n::VIEC_ID),
            col("__dv_ma_tinh").alias(n::MA_TINH),
            col("don_vi_id").alias(n::DON_VI_ID),
            null_i64().alias(n::CAN_BO_ID),
        ])
}

/// QH16 Quyết định chưa ký số: signed on/after the platform launch (2025-12-12), `ky_so = 0`;
/// placed at the case's office and officer.
pub fn qh16_decision_unsigned(decisions: LazyFrame, cases: LazyFrame, r: &RuleParams) -> LazyFrame {
    decisions
        .filter(
            col("ngay_ky")
                .gt_eq(date_lit(r.platform_launch))
                .and(col("ky_so").eq(lit(0i64))),
        )
        .inner_join(case_lookup(cases), col("viec_id"), col("__v_id"))
        .with_columns([lit(RuleId::Qh16.code()).alias(n::RULE)])
        .select([
            col(n::RULE),
            col("id").alias(n::ID),
            col("viec_id").alias(n::VIEC_ID),
            col("__v_ma_tinh").alias(n::MA_TINH),
            col("__v_don_vi_id").alias(n::DON_VI_ID),
            col("__v_chv").alias(n::CAN_BO_ID),
        ])
}

/// The rows `rule` flags, in the flag schema ([`names::RULE`], [`names::ID`],
/// [`names::VIEC_ID`], [`names::MA_TINH`], [`names::DON_VI_ID`], [`names::CAN_BO_ID`]).
pub fn overdue_rule(frames: &Frames, rule: RuleId, r: &RuleParams) -> LazyFrame {
    let cases = || frames.lazy(Table::ViecThiHanh);
    let lich = || frames.lazy(Table::Lich);
    match rule {
        RuleId::Qh01 => qh01_late_decision(cases(), lich()),
        RuleId::Qh02 => qh02_decision_overdue(cases(), lich(), r),
        RuleId::Qh03 => qh03_not_verified(cases(), r),
        RuleId::Qh04 => qh04_reverification_overdue(cases(), r),
        RuleId::Qh05 => qh05_long_postponement(cases(), frames.lazy(Table::QuyetDinh), r),
        RuleId::Qh06 => qh06_long_suspension(cases(), frames.lazy(Table::QuyetDinh), r),
        RuleId::Qh07 => qh07_collected_not_closed(cases(), frames.lazy(Table::BienLai), r),
        RuleId::Qh08 => qh08_no_action(cases(), frames.lazy(Table::BienPhapCuongChe), r),
        RuleId::Qh09 => {
            qh09_attached_not_valued(cases(), frames.lazy(Table::BienPhapCuongChe), lich(), r)
        }
        RuleId::Qh10 => qh10_valued_not_auctioned(cases(), frames.lazy(Table::BienPhapCuongChe), r),
        RuleId::Qh11 => qh11_old_enforceable(cases(), r),
        RuleId::Qh12 => qh12_petition_overdue(frames.lazy(Table::DonThu), r),
        RuleId::Qh13 => qh13_petition_resolved_late(frames.lazy(Table::DonThu)),
        RuleId::Qh14 => qh14_petition_not_accepted(frames.lazy(Table::DonThu), r),
        RuleId::Qh15 => {
            qh15_task_overdue(frames.lazy(Table::NhiemVu), frames.lazy(Table::DonVi), r)
        }
        RuleId::Qh16 => qh16_decision_unsigned(frames.lazy(Table::QuyetDinh), cases(), r),
    }
}

/// The rows of every rule, concatenated (a row flagged by two rules appears twice, as K9
/// counts it).
///
/// # Errors
/// [`Error::Polars`] if the plans cannot be combined.
pub fn overdue_flags(frames: &Frames, r: &RuleParams) -> Result<LazyFrame> {
    rule_flags(frames, &RuleId::ALL, r)
}

/// The rules whose flags depend only on one case and its own decisions, measures and receipts.
pub const CASE_RULES: [RuleId; 12] = [
    RuleId::Qh01,
    RuleId::Qh02,
    RuleId::Qh03,
    RuleId::Qh04,
    RuleId::Qh05,
    RuleId::Qh06,
    RuleId::Qh07,
    RuleId::Qh08,
    RuleId::Qh09,
    RuleId::Qh10,
    RuleId::Qh11,
    RuleId::Qh16,
];

/// The petition and task rules (small tables).
pub const OTHER_RULES: [RuleId; 4] = [RuleId::Qh12, RuleId::Qh13, RuleId::Qh14, RuleId::Qh15];

/// The rows of `rules`, concatenated.
///
/// # Errors
/// [`Error::Polars`] if the plans cannot be combined.
pub fn rule_flags(frames: &Frames, rules: &[RuleId], r: &RuleParams) -> Result<LazyFrame> {
    let parts: Vec<LazyFrame> = rules
        .iter()
        .map(|rule| overdue_rule(frames, *rule, r))
        .collect();
    Ok(concat(parts, UnionArgs::default())?)
}

// ───────────────────────────── monthly series ─────────────────────────────

fn month_of(date: Expr) -> Expr {
    (date.clone().dt().year().cast(DataType::Int32) * lit(100i32)
        + date.dt().month().cast(DataType::Int32))
    .alias(n::MONTH)
}

fn monthly_group(lf: LazyFrame, ma_tinh: &str, month: Expr, aggs: Vec<Expr>) -> LazyFrame {
    lf.group_by([
        col(ma_tinh).alias(n::MA_TINH),
        col("don_vi_id").alias(n::DON_VI_ID),
        null_i64().alias(n::CAN_BO_ID),
        month,
    ])
    .agg(aggs)
}

/// Monthly facts of period `p` per (province, office, month): new cases (K6) by month of
/// thụ lý, X by month of kết thúc, C by month of entry into the year (cases carried in count
/// in the first month), valid receipts and petitions by month.
///
/// # Errors
/// [`Error::Polars`] if the plans cannot be combined.
pub fn monthly_facts(frames: &Frames, p: &Period) -> Result<LazyFrame> {
    let parts = [
        monthly_case_facts(frames.lazy(Table::ViecThiHanh), p)?,
        monthly_receipt_facts(frames.lazy(Table::BienLai), p),
        monthly_petition_facts(frames.lazy(Table::DonThu), p)?,
    ];
    Ok(concat_lf_diagonal(parts, UnionArgs::default())?)
}

/// The case part of [`monthly_facts`] (a sum over cases).
///
/// # Errors
/// [`Error::Polars`] if the plans cannot be combined.
pub fn monthly_case_facts(cases: LazyFrame, p: &Period) -> Result<LazyFrame> {
    let cases = cases.filter(not_transferred());
    let entry = when(col("ngay_thu_ly").lt(date_lit(p.start)))
        .then(date_lit(p.start))
        .otherwise(col("ngay_thu_ly"));
    let parts = [
        monthly_group(
            cases.clone().filter(new_intake(p)),
            "ma_tinh",
            month_of(col("ngay_thu_ly")),
            vec![len().cast(DataType::Int64).alias(n::CASES_NEW)],
        ),
        monthly_group(
            cases.clone().filter(done(p)),
            "ma_tinh",
            month_of(col("ngay_ket_thuc")),
            vec![len().cast(DataType::Int64).alias(n::CASES_DONE)],
        ),
        monthly_group(
            cases.filter(with_conditions(p)),
            "ma_tinh",
            month_of(entry),
            vec![len().cast(DataType::Int64).alias(n::CASES_WITH_CONDITIONS)],
        ),
    ];
    Ok(concat_lf_diagonal(parts, UnionArgs::default())?)
}

/// The receipt part of [`monthly_facts`] (a sum over receipts).
pub fn monthly_receipt_facts(receipts: LazyFrame, p: &Period) -> LazyFrame {
    monthly_group(
        receipts.filter(is("trang_thai", "hop_le").and(between("ngay_thu", p.start, p.report))),
        "ma_tinh",
        month_of(col("ngay_thu")),
        vec![
            len().cast(DataType::Int64).alias(n::RECEIPTS_COUNT),
            col("so_tien")
                .sum()
                .cast(DataType::Int64)
                .alias(n::RECEIPTS_AMOUNT),
        ],
    )
}

/// The petition part of [`monthly_facts`].
///
/// # Errors
/// [`Error::Polars`] if the plans cannot be combined.
pub fn monthly_petition_facts(petitions: LazyFrame, p: &Period) -> Result<LazyFrame> {
    let parts = [
        monthly_group(
            petitions
                .clone()
                .filter(between("ngay_nhan", p.start, p.report)),
            "ma_tinh",
            month_of(col("ngay_nhan")),
            vec![len().cast(DataType::Int64).alias(n::COMPLAINTS_RECEIVED)],
        ),
        monthly_group(
            petitions.filter(is("trang_thai", "da_giai_quyet").and(between(
                "ngay_giai_quyet",
                p.start,
                p.report,
            ))),
            "ma_tinh",
            month_of(col("ngay_giai_quyet")),
            vec![len().cast(DataType::Int64).alias(n::COMPLAINTS_RESOLVED)],
        ),
    ];
    Ok(concat_lf_diagonal(parts, UnionArgs::default())?)
}

/// The months of period `p` up to its report date: [`names::MONTH`] and `lich.thang`.
pub fn months_of(lich: LazyFrame, p: &Period) -> LazyFrame {
    lich.filter(between("ngay", p.start, p.report))
        .select([month_of(col("ngay")), col("thang").alias(n::THANG)])
        .unique_stable_generic(None, UniqueKeepStrategy::First)
}

/// Running sum of `column` per key, in month order.
fn cumulative(column: &str) -> Result<Expr> {
    Ok(col(column).cum_sum(false).over_with_options(
        Some([col(n::KEY)]),
        Some(([col(n::MONTH)], SortOptions::default())),
        WindowMapping::default(),
    )?)
}

/// Monthly series at `level`: one row per key and month of `months` (months without activity
/// are 0), with cumulative X and C from 1 Oct and the cumulative K4.
///
/// # Errors
/// [`Error::Polars`] if the window expressions are invalid.
pub fn monthly_table(
    facts: LazyFrame,
    level: Level,
    org: &Org,
    months: LazyFrame,
) -> Result<LazyFrame> {
    let rolled = roll_up(facts, level, org, &[n::MONTH], &MONTHLY_ADDITIVE);
    let keys = rolled
        .clone()
        .select([
            col(n::KEY),
            col(n::MA_TINH),
            col(n::DON_VI_ID),
            col(n::CAN_BO_ID),
        ])
        .unique_stable_generic(None, UniqueKeepStrategy::First);
    let mut values = vec![col(n::KEY), col(n::MONTH)];
    values.extend(MONTHLY_ADDITIVE.iter().map(|m| col(*m)));
    let fill: Vec<Expr> = MONTHLY_ADDITIVE
        .iter()
        .map(|m| col(*m).fill_null(lit(0i64)))
        .collect();
    Ok(keys
        .cross_join(months, None)
        .join(
            rolled.select(values),
            [col(n::KEY), col(n::MONTH)],
            [col(n::KEY), col(n::MONTH)],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns(fill)
        .sort([n::KEY, n::MONTH], SortMultipleOptions::default())
        .with_columns([
            cumulative(n::CASES_DONE)?.alias(n::CASES_DONE_CUMULATIVE),
            cumulative(n::CASES_WITH_CONDITIONS)?.alias(n::CASES_WITH_CONDITIONS_CUMULATIVE),
        ])
        .with_columns([pct(
            n::CASES_DONE_CUMULATIVE,
            n::CASES_WITH_CONDITIONS_CUMULATIVE,
        )
        .alias(n::DONE_RATE_CASES_CUMULATIVE)]))
}

// ───────────────────────────── snapshot ─────────────────────────────

/// Collects several plans in one go (shared work runs once per plan, in parallel).
///
/// # Errors
/// [`Error::Polars`] if a plan fails.
pub fn collect_all(plans: Vec<LazyFrame>) -> Result<Vec<DataFrame>> {
    let Some(first) = plans.first() else {
        return Ok(Vec::new());
    };
    let opt = first.get_current_optimizations();
    let dsl = plans.into_iter().map(|lf| lf.logical_plan).collect();
    Ok(LazyFrame::collect_all_with_engine(
        dsl,
        Engine::InMemory,
        opt,
    )?)
}

/// KPIs of one unit at one level for the snapshot's statistical year. Counts are cases (or
/// rows), money is in đồng, rates are percentages with 2 decimals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KpiRow {
    pub level: Level,
    /// [`COUNTRY_KEY`], the region code, `ma_tinh`, `don_vi.ma` or the officer id.
    pub key: String,
    pub ma_tinh: Option<String>,
    pub don_vi_id: Option<i64>,
    pub can_bo_id: Option<i64>,
    /// K1 P: cases to enforce in the year.
    pub cases_to_enforce: u64,
    /// K2 C: of which with conditions.
    pub cases_with_conditions: u64,
    /// P − C: without conditions.
    pub cases_without_conditions: u64,
    /// K3 X: completed (xong + đình chỉ) in [S, D].
    pub cases_done: u64,
    /// K6: new cases (thụ lý) in [S, D].
    pub cases_new: u64,
    /// K4: 100·X/C.
    pub done_rate_cases: Option<f64>,
    /// Σ amount of P.
    pub money_to_enforce: i64,
    /// Σ amount of C (K5 divisor).
    pub money_with_conditions: i64,
    /// K5 numerator: collected, or the full amount for cases terminated in the year.
    pub money_done: i64,
    /// K5.
    pub done_rate_money: Option<f64>,
    /// K7: non-terminal cases now.
    pub backlog: u64,
    /// K7 with conditions.
    pub backlog_with_conditions: u64,
    /// K8 of the previous year: cases carried into this year.
    pub carried_in: u64,
    /// K8 of this year: carried to the next (for the running year: still open).
    pub carried_over: u64,
    /// K8 of this year with conditions.
    pub carried_over_with_conditions: u64,
    /// `chi_tieu.ty_le_viec` (unit, else province, else national).
    pub target_rate_cases: Option<f64>,
    /// `chi_tieu.ty_le_tien` (same fallback).
    pub target_rate_money: Option<f64>,
    /// K15.
    pub meets_target: Option<bool>,
    /// K9: rows flagged by QH01–QH16 (a case flagged by two rules counts twice).
    pub overdue_total: u64,
    /// K9 per rule (rules with 0 are left out).
    pub overdue: BTreeMap<RuleId, u64>,
    /// Active chấp hành viên in scope.
    pub officers: u64,
    /// K10.
    pub done_per_officer: Option<f64>,
    /// K14: average days thụ lý → kết thúc over X.
    pub avg_days_to_done: Option<f64>,
    /// K11 valid receipts dated on the as-of day.
    pub receipts_today: u64,
    pub receipts_today_amount: i64,
    /// K11 valid receipts in [S, D].
    pub receipts_count: u64,
    pub receipts_amount: i64,
    pub receipts_email: u64,
    pub receipts_sms: u64,
    pub receipts_paper: u64,
    /// K11 `AVG(dien_tu)` in percent.
    pub receipts_electronic_rate: Option<f64>,
    /// K11 `AVG(ky_so)` in percent.
    pub receipts_signed_rate: Option<f64>,
    /// Petitions (`moi`, `dang_giai_quyet`) open now.
    pub complaints_open: u64,
    pub complaints_received: u64,
    /// Resolved in [S, D].
    pub complaints_resolved: u64,
    pub complaints_resolved_on_time: u64,
    /// K12.
    pub complaints_on_time_rate: Option<f64>,
    /// K13: decisions signed in [S, D] and the digitally signed share.
    pub decisions: u64,
    pub decisions_signed: u64,
    pub decisions_signed_rate: Option<f64>,
}

/// One month of a monthly series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthlyRow {
    pub level: Level,
    pub key: String,
    pub ma_tinh: Option<String>,
    pub don_vi_id: Option<i64>,
    /// Statistical year.
    pub year: i32,
    /// `lich.thang` (`YYYY-MM`).
    pub thang: String,
    pub cases_new: u64,
    pub cases_done: u64,
    /// Cases with conditions entering the year this month (carried-in ones in October).
    pub cases_with_conditions: u64,
    pub cases_done_cumulative: u64,
    pub cases_with_conditions_cumulative: u64,
    /// K4 at the end of the month (at D for the running month).
    pub done_rate_cases_cumulative: Option<f64>,
    pub receipts_count: u64,
    pub receipts_amount: i64,
    pub complaints_received: u64,
    pub complaints_resolved: u64,
}

/// K9 of one rule: total and per province.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverdueCount {
    pub rule: RuleId,
    pub label: String,
    pub total: u64,
    /// `ma_tinh` → count (provinces with 0 are left out; Cục rows only in `total`).
    pub by_province: BTreeMap<String, u64>,
}

/// Everything the dashboards need at one as-of date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KpiSnapshot {
    pub as_of: NaiveDate,
    /// [`Frames::version`] the snapshot was computed from.
    pub version: u64,
    /// The statistical year containing as-of.
    pub period: Period,
    /// The year before (for comparisons and its monthly series).
    pub previous: Period,
    pub national: KpiRow,
    pub by_mien: Vec<KpiRow>,
    pub by_vung: Vec<KpiRow>,
    pub by_province: Vec<KpiRow>,
    pub by_office: Vec<KpiRow>,
    pub by_officer: Vec<KpiRow>,
    /// K9 per rule, in rule order.
    pub overdue: Vec<OverdueCount>,
    /// Monthly series of this and the previous year, at country, region, province and office.
    pub monthly: Vec<MonthlyRow>,
}

const MONTHLY_LEVELS: [Level; 5] = [
    Level::Country,
    Level::Region(RegionKind::Mien),
    Level::Region(RegionKind::Vung),
    Level::Province,
    Level::Office,
];

/// Computes the whole snapshot at `as_of`: the statistical year containing it and the one
/// before, every level, every rule, the monthly series.
///
/// Two collect rounds: the big tables are aggregated once to facts (per province, office and
/// officer), then every level is summed from those small frames.
///
/// # Errors
/// [`Error::Calendar`] when `lich` lacks as-of; [`Error::Polars`] if a plan fails.
pub fn compute_snapshot(frames: &Frames, as_of: NaiveDate) -> Result<KpiSnapshot> {
    let period = Period::containing(as_of)?;
    let previous = period.previous()?;
    let rules = RuleParams::new(frames, as_of)?;

    let stage1 = collect_all(vec![
        all_facts(frames, &period, &previous, &rules)?,
        monthly_facts(frames, &period)?,
        monthly_facts(frames, &previous)?,
    ])?;
    let [facts, monthly_now, monthly_prev] = <[DataFrame; 3]>::try_from(stage1)
        .map_err(|_| Error::DateRange("collect_all returned a wrong count".into()))?;
    snapshot_from_facts(
        frames,
        as_of,
        &FactTables {
            facts,
            monthly_now,
            monthly_prev,
        },
    )
}

/// Stage 1 of a snapshot: the facts (see [`all_facts`]) and the monthly facts of this and the
/// previous statistical year. Rows need not be unique per key: the levels sum them.
pub struct FactTables {
    pub facts: DataFrame,
    pub monthly_now: DataFrame,
    pub monthly_prev: DataFrame,
}

/// Stage 2 of a snapshot: every level, the targets, the rates and the monthly series, summed
/// from the fact tables (small frames) and the organisation tables of `frames`.
///
/// # Errors
/// As [`compute_snapshot`].
pub fn snapshot_from_facts(
    frames: &Frames,
    as_of: NaiveDate,
    facts: &FactTables,
) -> Result<KpiSnapshot> {
    let period = Period::containing(as_of)?;
    let previous = period.previous()?;
    let org = Org::from_frames(frames);
    let FactTables {
        facts,
        monthly_now,
        monthly_prev,
    } = facts;
    let mut plans: Vec<LazyFrame> = Level::ALL
        .iter()
        .map(|level| {
            kpi_table(
                facts.clone().lazy(),
                *level,
                &org,
                frames.lazy(Table::ChiTieu),
                period.year,
            )
        })
        .collect();
    for (monthly, p) in [(monthly_now, &period), (monthly_prev, &previous)] {
        for level in MONTHLY_LEVELS {
            plans.push(monthly_table(
                monthly.clone().lazy(),
                level,
                &org,
                months_of(frames.lazy(Table::Lich), p),
            )?);
        }
    }
    let mut out = collect_all(plans)?.into_iter();
    let mut next = || {
        out.next()
            .ok_or_else(|| Error::DateRange("missing result".into()))
    };

    let mut tables = Vec::with_capacity(Level::ALL.len());
    for level in Level::ALL {
        tables.push(kpi_rows(&next()?, level)?);
    }
    let mut monthly = Vec::new();
    for p in [&period, &previous] {
        for level in MONTHLY_LEVELS {
            monthly.extend(monthly_rows(&next()?, level, p.year)?);
        }
    }
    let mut tables = tables.into_iter();
    let mut take = || tables.next().unwrap_or_default();
    let national = take()
        .into_iter()
        .next()
        .unwrap_or_else(|| empty_row(Level::Country, COUNTRY_KEY));
    let (by_mien, by_vung, by_province, by_office, by_officer) =
        (take(), take(), take(), take(), take());
    let overdue = overdue_counts(&national, &by_province);
    Ok(KpiSnapshot {
        as_of,
        version: frames.version(),
        period,
        previous,
        national,
        by_mien,
        by_vung,
        by_province,
        by_office,
        by_officer,
        overdue,
        monthly,
    })
}

/// The KPI rows of one level for period `p` (the previous year is `p.previous()`), e.g. for a
/// drill-down that needs only one level or another statistical year.
///
/// # Errors
/// As [`compute_snapshot`].
pub fn compute_level(frames: &Frames, p: &Period, level: Level) -> Result<Vec<KpiRow>> {
    let rules = RuleParams::new(frames, p.as_of)?;
    let org = Org::from_frames(frames);
    let facts = all_facts(frames, p, &p.previous()?, &rules)?;
    let df = kpi_table(facts, level, &org, frames.lazy(Table::ChiTieu), p.year).collect()?;
    kpi_rows(&df, level)
}

fn overdue_counts(national: &KpiRow, provinces: &[KpiRow]) -> Vec<OverdueCount> {
    RuleId::ALL
        .iter()
        .map(|rule| OverdueCount {
            rule: *rule,
            label: rule.label().to_owned(),
            total: national.overdue.get(rule).copied().unwrap_or(0),
            by_province: provinces
                .iter()
                .filter_map(|p| {
                    let n = p.overdue.get(rule).copied().unwrap_or(0);
                    (n > 0).then(|| (p.key.clone(), n))
                })
                .collect(),
        })
        .collect()
}

fn empty_row(level: Level, key: &str) -> KpiRow {
    KpiRow {
        level,
        key: key.to_owned(),
        ma_tinh: None,
        don_vi_id: None,
        can_bo_id: None,
        cases_to_enforce: 0,
        cases_with_conditions: 0,
        cases_without_conditions: 0,
        cases_done: 0,
        cases_new: 0,
        done_rate_cases: None,
        money_to_enforce: 0,
        money_with_conditions: 0,
        money_done: 0,
        done_rate_money: None,
        backlog: 0,
        backlog_with_conditions: 0,
        carried_in: 0,
        carried_over: 0,
        carried_over_with_conditions: 0,
        target_rate_cases: None,
        target_rate_money: None,
        meets_target: None,
        overdue_total: 0,
        overdue: BTreeMap::new(),
        officers: 0,
        done_per_officer: None,
        avg_days_to_done: None,
        receipts_today: 0,
        receipts_today_amount: 0,
        receipts_count: 0,
        receipts_amount: 0,
        receipts_email: 0,
        receipts_sms: 0,
        receipts_paper: 0,
        receipts_electronic_rate: None,
        receipts_signed_rate: None,
        complaints_open: 0,
        complaints_received: 0,
        complaints_resolved: 0,
        complaints_resolved_on_time: 0,
        complaints_on_time_rate: None,
        decisions: 0,
        decisions_signed: 0,
        decisions_signed_rate: None,
    }
}

/// Column readers for turning a small collected frame into structs.
struct Reader<'a>(&'a DataFrame);

impl Reader<'_> {
    fn ints(&self, name: &str) -> Result<Vec<Option<i64>>> {
        let c = self.0.column(name)?.cast(&DataType::Int64)?;
        Ok(c.i64()?.iter().collect())
    }
    fn counts(&self, name: &str) -> Result<Vec<u64>> {
        Ok(self
            .ints(name)?
            .into_iter()
            .map(|v| u64::try_from(v.unwrap_or(0)).unwrap_or(0))
            .collect())
    }
    fn money(&self, name: &str) -> Result<Vec<i64>> {
        Ok(self
            .ints(name)?
            .into_iter()
            .map(|v| v.unwrap_or(0))
            .collect())
    }
    fn floats(&self, name: &str) -> Result<Vec<Option<f64>>> {
        let c = self.0.column(name)?.cast(&DataType::Float64)?;
        Ok(c.f64()?.iter().collect())
    }
    fn texts(&self, name: &str) -> Result<Vec<Option<String>>> {
        let c = self.0.column(name)?.cast(&DataType::String)?;
        Ok(c.str()?.iter().map(|s| s.map(str::to_owned)).collect())
    }
    fn bools(&self, name: &str) -> Result<Vec<Option<bool>>> {
        let c = self.0.column(name)?.cast(&DataType::Boolean)?;
        Ok(c.bool()?.iter().collect())
    }
}

fn at<T: Clone + Default>(v: &[T], i: usize) -> T {
    v.get(i).cloned().unwrap_or_default()
}

/// Turns a collected [`kpi_table`] into rows.
///
/// # Errors
/// [`Error::Polars`] when a column is missing or has another type.
pub fn kpi_rows(df: &DataFrame, level: Level) -> Result<Vec<KpiRow>> {
    let r = Reader(df);
    let keys = r.texts(n::KEY)?;
    let ma_tinh = r.texts(n::MA_TINH)?;
    let don_vi = r.ints(n::DON_VI_ID)?;
    let can_bo = r.ints(n::CAN_BO_ID)?;
    let mut counts: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for name in level_measures() {
        counts.insert(name, r.counts(name)?);
    }
    let mut money: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for name in [
        n::MONEY_TO_ENFORCE,
        n::MONEY_WITH_CONDITIONS,
        n::MONEY_DONE,
        n::RECEIPTS_AMOUNT,
        n::RECEIPTS_TODAY_AMOUNT,
    ] {
        money.insert(name, r.money(name)?);
    }
    let mut rates: BTreeMap<&str, Vec<Option<f64>>> = BTreeMap::new();
    for name in [
        n::DONE_RATE_CASES,
        n::DONE_RATE_MONEY,
        n::DONE_PER_OFFICER,
        n::AVG_DAYS_TO_DONE,
        n::RECEIPTS_ELECTRONIC_RATE,
        n::RECEIPTS_SIGNED_RATE,
        n::COMPLAINTS_ON_TIME_RATE,
        n::DECISIONS_SIGNED_RATE,
        n::TARGET_RATE_CASES,
        n::TARGET_RATE_MONEY,
    ] {
        rates.insert(name, r.floats(name)?);
    }
    let meets = r.bools(n::MEETS_TARGET)?;
    let c = |name: &str, i: usize| counts.get(name).map_or(0, |v| at(v, i));
    let m = |name: &str, i: usize| money.get(name).map_or(0, |v| at(v, i));
    let f = |name: &str, i: usize| rates.get(name).and_then(|v| at(v, i));
    let rows = (0..df.height())
        .map(|i| {
            let overdue = RuleId::ALL
                .iter()
                .filter_map(|rule| {
                    let count = c(rule.column(), i);
                    (count > 0).then_some((*rule, count))
                })
                .collect();
            KpiRow {
                level,
                key: at(&keys, i).unwrap_or_default(),
                ma_tinh: at(&ma_tinh, i),
                don_vi_id: at(&don_vi, i),
                can_bo_id: at(&can_bo, i),
                cases_to_enforce: c(n::CASES_TO_ENFORCE, i),
                cases_with_conditions: c(n::CASES_WITH_CONDITIONS, i),
                cases_without_conditions: c(n::CASES_WITHOUT_CONDITIONS, i),
                cases_done: c(n::CASES_DONE, i),
                cases_new: c(n::CASES_NEW, i),
                done_rate_cases: f(n::DONE_RATE_CASES, i),
                money_to_enforce: m(n::MONEY_TO_ENFORCE, i),
                money_with_conditions: m(n::MONEY_WITH_CONDITIONS, i),
                money_done: m(n::MONEY_DONE, i),
                done_rate_money: f(n::DONE_RATE_MONEY, i),
                backlog: c(n::BACKLOG, i),
                backlog_with_conditions: c(n::BACKLOG_WITH_CONDITIONS, i),
                carried_in: c(n::CARRIED_IN, i),
                carried_over: c(n::CARRIED_OVER, i),
                carried_over_with_conditions: c(n::CARRIED_OVER_WITH_CONDITIONS, i),
                target_rate_cases: f(n::TARGET_RATE_CASES, i),
                target_rate_money: f(n::TARGET_RATE_MONEY, i),
                meets_target: at(&meets, i),
                overdue_total: c(n::OVERDUE_TOTAL, i),
                overdue,
                officers: c(n::OFFICERS, i),
                done_per_officer: f(n::DONE_PER_OFFICER, i),
                avg_days_to_done: f(n::AVG_DAYS_TO_DONE, i),
                receipts_today: c(n::RECEIPTS_TODAY, i),
                receipts_today_amount: m(n::RECEIPTS_TODAY_AMOUNT, i),
                receipts_count: c(n::RECEIPTS_COUNT, i),
                receipts_amount: m(n::RECEIPTS_AMOUNT, i),
                receipts_email: c(n::RECEIPTS_EMAIL, i),
                receipts_sms: c(n::RECEIPTS_SMS, i),
                receipts_paper: c(n::RECEIPTS_PAPER, i),
                receipts_electronic_rate: f(n::RECEIPTS_ELECTRONIC_RATE, i),
                receipts_signed_rate: f(n::RECEIPTS_SIGNED_RATE, i),
                complaints_open: c(n::COMPLAINTS_OPEN, i),
                complaints_received: c(n::COMPLAINTS_RECEIVED, i),
                complaints_resolved: c(n::COMPLAINTS_RESOLVED, i),
                complaints_resolved_on_time: c(n::COMPLAINTS_RESOLVED_ON_TIME, i),
                complaints_on_time_rate: f(n::COMPLAINTS_ON_TIME_RATE, i),
                decisions: c(n::DECISIONS, i),
                decisions_signed: c(n::DECISIONS_SIGNED, i),
                decisions_signed_rate: f(n::DECISIONS_SIGNED_RATE, i),
            }
        })
        .collect();
    Ok(rows)
}

/// Turns a collected [`monthly_table`] into rows.
///
/// # Errors
/// [`Error::Polars`] when a column is missing or has another type.
pub fn monthly_rows(df: &DataFrame, level: Level, year: i32) -> Result<Vec<MonthlyRow>> {
    let r = Reader(df);
    let keys = r.texts(n::KEY)?;
    let ma_tinh = r.texts(n::MA_TINH)?;
    let don_vi = r.ints(n::DON_VI_ID)?;
    let thang = r.texts(n::THANG)?;
    let new = r.counts(n::CASES_NEW)?;
    let done = r.counts(n::CASES_DONE)?;
    let cwc = r.counts(n::CASES_WITH_CONDITIONS)?;
    let done_cum = r.counts(n::CASES_DONE_CUMULATIVE)?;
    let cwc_cum = r.counts(n::CASES_WITH_CONDITIONS_CUMULATIVE)?;
    let rate = r.floats(n::DONE_RATE_CASES_CUMULATIVE)?;
    let receipts = r.counts(n::RECEIPTS_COUNT)?;
    let amount = r.money(n::RECEIPTS_AMOUNT)?;
    let received = r.counts(n::COMPLAINTS_RECEIVED)?;
    let resolved = r.counts(n::COMPLAINTS_RESOLVED)?;
    Ok((0..df.height())
        .map(|i| MonthlyRow {
            level,
            key: at(&keys, i).unwrap_or_default(),
            ma_tinh: at(&ma_tinh, i),
            don_vi_id: at(&don_vi, i),
            year,
            thang: at(&thang, i).unwrap_or_default(),
            cases_new: at(&new, i),
            cases_done: at(&done, i),
            cases_with_conditions: at(&cwc, i),
            cases_done_cumulative: at(&done_cum, i),
            cases_with_conditions_cumulative: at(&cwc_cum, i),
            done_rate_cases_cumulative: at(&rate, i),
            receipts_count: at(&receipts, i),
            receipts_amount: at(&amount, i),
            complaints_received: at(&received, i),
            complaints_resolved: at(&resolved, i),
        })
        .collect())
}

// ───────────────────────────── bench helpers ─────────────────────────────

/// Times one full snapshot (every level, rule and monthly series). For benches and the
/// `bench` subcommand; tests never assert durations.
///
/// # Errors
/// As [`compute_snapshot`].
pub fn bench_recompute(frames: &Frames, as_of: NaiveDate) -> Result<(KpiSnapshot, Duration)> {
    let t = Instant::now();
    let snapshot = compute_snapshot(frames, as_of)?;
    Ok((snapshot, t.elapsed()))
}

/// Times a micro-batch: the upsert of `rows` into `table`, then a full snapshot. Returns both
/// durations.
///
/// # Errors
/// As [`Frames::upsert`] and [`compute_snapshot`].
pub fn bench_upsert_and_recompute(
    frames: &mut Frames,
    table: Table,
    rows: Vec<ColumnData>,
    as_of: NaiveDate,
) -> Result<(Duration, Duration)> {
    let t = Instant::now();
    frames.upsert(table, rows)?;
    let upsert = t.elapsed();
    let (_, recompute) = bench_recompute(frames, as_of)?;
    Ok((upsert, recompute))
}

#[cfg(test)]
pub(crate) mod tests {
    //! Every expected number below is computed by hand in the comment next to it.
    use super::*;
    use chrono::Weekday;

    pub(crate) fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }
    fn od(s: Option<&str>) -> Option<NaiveDate> {
        s.map(d)
    }
    fn int(v: impl IntoIterator<Item = i64>) -> ColumnData {
        ColumnData::Int(v.into_iter().map(Some).collect())
    }
    fn oint(v: impl IntoIterator<Item = Option<i64>>) -> ColumnData {
        ColumnData::Int(v.into_iter().collect())
    }
    fn text<'a>(v: impl IntoIterator<Item = &'a str>) -> ColumnData {
        ColumnData::Text(v.into_iter().map(|s| Some(s.to_owned())).collect())
    }
    fn otext<'a>(v: impl IntoIterator<Item = Option<&'a str>>) -> ColumnData {
        ColumnData::Text(v.into_iter().map(|s| s.map(str::to_owned)).collect())
    }
    fn date<'a>(v: impl IntoIterator<Item = &'a str>) -> ColumnData {
        ColumnData::Date(v.into_iter().map(|s| Some(d(s))).collect())
    }
    fn odate<'a>(v: impl IntoIterator<Item = Option<&'a str>>) -> ColumnData {
        ColumnData::Date(v.into_iter().map(od).collect())
    }

    /// The as-of date of every test: Friday 2026-11-20 (statistical year 2027).
    pub(crate) const AS_OF: &str = "2026-11-20";

    /// A case: (id, don_vi_id, ma_tinh, chv, thu_ly, qd, xac_minh, co_dk, trang_thai, phai,
    /// da, ket_thuc).
    pub(crate) type Case = (
        i64,
        i64,
        &'static str,
        Option<i64>,
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        i64,
        &'static str,
        i64,
        i64,
        Option<&'static str>,
    );
    /// A receipt: (id, don_vi_id, ma_tinh, viec_id, ngay_thu, so_tien, dien_tu, kenh, ky_so,
    /// trang_thai).
    pub(crate) type Receipt = (
        i64,
        i64,
        &'static str,
        Option<i64>,
        &'static str,
        i64,
        i64,
        &'static str,
        i64,
        &'static str,
    );
    /// A petition: (id, don_vi_id, ma_tinh, ngay_nhan, han, ngay_giai_quyet, trang_thai).
    pub(crate) type Petition = (
        i64,
        i64,
        Option<&'static str>,
        &'static str,
        &'static str,
        Option<&'static str>,
        &'static str,
    );
    /// A decision: (id, viec_id, loai, ngay_ky, ky_so).
    pub(crate) type Decision = (i64, i64, &'static str, &'static str, i64);
    /// A measure: (id, viec_id, loai, ngay_thuc_hien).
    pub(crate) type Measure = (i64, i64, &'static str, &'static str);
    /// A task: (id, don_vi_id, han_hoan_thanh, trang_thai).
    pub(crate) type Task = (i64, i64, &'static str, &'static str);

    #[derive(Default)]
    pub(crate) struct Fixture {
        pub(crate) cases: Vec<Case>,
        pub(crate) receipts: Vec<Receipt>,
        pub(crate) petitions: Vec<Petition>,
        pub(crate) decisions: Vec<Decision>,
        pub(crate) measures: Vec<Measure>,
        pub(crate) tasks: Vec<Task>,
    }

    /// Working days: Mon–Fri minus these holidays.
    const HOLIDAYS: [&str; 3] = ["2025-09-01", "2025-09-02", "2026-01-01"];

    fn lich() -> Vec<ColumnData> {
        let (mut ngay, mut nam, mut thang, mut quy, mut thu) =
            (vec![], vec![], vec![], vec![], vec![]);
        let (mut lam, mut le, mut stt, mut stt_lv, mut ntk) =
            (vec![], vec![], vec![], vec![], vec![]);
        let base = d("2000-01-01");
        let mut day = d("2024-01-01");
        let mut wd = 0i64;
        while day <= d("2027-12-31") {
            let iso = day.format("%Y-%m-%d").to_string();
            let holiday = HOLIDAYS.contains(&iso.as_str());
            let working = !holiday && !matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
            wd += i64::from(working);
            ngay.push(Some(day));
            nam.push(Some(i64::from(day.year())));
            thang.push(Some(day.format("%Y-%m").to_string()));
            quy.push(Some(format!(
                "{}-Q{}",
                day.year(),
                (day.month() - 1) / 3 + 1
            )));
            thu.push(Some(i64::from(day.weekday().number_from_monday())));
            lam.push(Some(i64::from(working)));
            le.push(holiday.then(|| "Nghỉ lễ".to_owned()));
            stt.push(Some((day - base).num_days()));
            stt_lv.push(Some(wd));
            ntk.push(Some(i64::from(statistical_year(day))));
            day = day.succ_opt().expect("next day");
        }
        vec![
            ColumnData::Date(ngay),
            ColumnData::Int(nam),
            ColumnData::Text(thang),
            ColumnData::Text(quy),
            ColumnData::Int(thu),
            ColumnData::Int(lam),
            ColumnData::Text(le),
            ColumnData::Int(stt),
            ColumnData::Int(stt_lv),
            ColumnData::Int(ntk),
        ]
    }

    impl Fixture {
        pub(crate) fn frames(&self) -> Frames {
            let mut f = Frames::new();
            // Two provinces: 01 (bac, dbsh) and 79 (nam, dnb).
            f.set_table(
                Table::Tinh,
                vec![
                    text(["01", "79"]),
                    text(["Hà Nội", "Hồ Chí Minh"]),
                    text(["Ha Noi", "Ho Chi Minh"]),
                    text(["tp", "tp"]),
                    text(["bac", "nam"]),
                    text(["dbsh", "dnb"]),
                    int([8_587_100, 14_002_598]),
                    text(["Hà Nội", "TP. Hồ Chí Minh"]),
                ],
            )
            .expect("tinh");
            // Units: 1 CUC, 2 T01, 3 T01-KV01, 4 T79, 5 T79-KV01.
            f.set_table(
                Table::DonVi,
                vec![
                    int([1, 2, 3, 4, 5]),
                    text(["CUC", "T01", "T01-KV01", "T79", "T79-KV01"]),
                    text(["Cục", "THADS Hà Nội", "KV1 Hà Nội", "THADS HCM", "KV1 HCM"]),
                    text(["Cuc", "THADS Ha Noi", "KV1 Ha Noi", "THADS HCM", "KV1 HCM"]),
                    text(["cuc", "tinh", "khu_vuc", "tinh", "khu_vuc"]),
                    otext([None, Some("01"), Some("01"), Some("79"), Some("79")]),
                    oint([None, Some(1), Some(2), Some(1), Some(4)]),
                ],
            )
            .expect("don_vi");
            // Officers: 10, 11 active CHV at unit 3; 12 retired CHV; 13 a clerk; 20 CHV at 5.
            f.set_table(
                Table::CanBo,
                vec![
                    int([10, 11, 12, 13, 20]),
                    text(["A", "B", "C", "D", "E"]),
                    text([
                        "chap_hanh_vien",
                        "chap_hanh_vien",
                        "chap_hanh_vien",
                        "thu_ky",
                        "chap_hanh_vien",
                    ]),
                    int([1, 1, 1, 0, 1]),
                    int([3, 3, 3, 3, 5]),
                    int([1, 1, 0, 1, 1]),
                ],
            )
            .expect("can_bo");
            f.set_table(Table::Lich, lich()).expect("lich");
            // Targets 2026: national 83.90/51.90, Hà Nội 50.00/80.00; 79 has none.
            f.set_table(
                Table::ChiTieu,
                vec![
                    int([2026, 2026, 2027]),
                    int([1, 2, 1]),
                    ColumnData::Float(vec![Some(83.9), Some(50.0), Some(84.0)]),
                    ColumnData::Float(vec![Some(51.9), Some(80.0), Some(52.0)]),
                ],
            )
            .expect("chi_tieu");
            let c = &self.cases;
            f.set_table(
                Table::ViecThiHanh,
                vec![
                    int(c.iter().map(|r| r.0)),
                    ColumnData::Text(c.iter().map(|r| Some(format!("V-{}", r.0))).collect()),
                    int(c.iter().map(|r| r.1)),
                    text(c.iter().map(|r| r.2)),
                    oint(c.iter().map(|r| r.3)),
                    text(c.iter().map(|_| "ds")),
                    text(c.iter().map(|_| "theo_yeu_cau")),
                    date(c.iter().map(|r| r.4)),
                    odate(c.iter().map(|r| r.5)),
                    odate(c.iter().map(|r| r.6)),
                    int(c.iter().map(|r| r.7)),
                    text(c.iter().map(|r| r.8)),
                    int(c.iter().map(|r| r.9)),
                    int(c.iter().map(|r| r.10)),
                    odate(c.iter().map(|r| r.11)),
                    ColumnData::Int(
                        c.iter()
                            .map(|r| Some(i64::from(statistical_year(d(r.4)))))
                            .collect(),
                    ),
                ],
            )
            .expect("viec");
            let r = &self.receipts;
            f.set_table(
                Table::BienLai,
                vec![
                    int(r.iter().map(|x| x.0)),
                    ColumnData::Text(r.iter().map(|x| Some(format!("BL-{}", x.0))).collect()),
                    int(r.iter().map(|x| x.1)),
                    text(r.iter().map(|x| x.2)),
                    oint(r.iter().map(|x| x.3)),
                    date(r.iter().map(|x| x.4)),
                    int(r.iter().map(|x| x.5)),
                    int(r.iter().map(|x| x.6)),
                    text(r.iter().map(|x| x.7)),
                    int(r.iter().map(|x| x.8)),
                    text(r.iter().map(|x| x.9)),
                ],
            )
            .expect("bien_lai");
            let p = &self.petitions;
            f.set_table(
                Table::DonThu,
                vec![
                    int(p.iter().map(|x| x.0)),
                    int(p.iter().map(|x| x.1)),
                    otext(p.iter().map(|x| x.2)),
                    oint(p.iter().map(|_| None)),
                    text(p.iter().map(|_| "khieu_nai")),
                    text(p.iter().map(|_| "truc_tiep")),
                    date(p.iter().map(|x| x.3)),
                    date(p.iter().map(|x| x.4)),
                    odate(p.iter().map(|x| x.5)),
                    text(p.iter().map(|x| x.6)),
                    otext(p.iter().map(|_| None)),
                ],
            )
            .expect("don_thu");
            let q = &self.decisions;
            f.set_table(
                Table::QuyetDinh,
                vec![
                    int(q.iter().map(|x| x.0)),
                    int(q.iter().map(|x| x.1)),
                    text(q.iter().map(|x| x.2)),
                    ColumnData::Text(q.iter().map(|x| Some(format!("{}/QĐ", x.0))).collect()),
                    date(q.iter().map(|x| x.3)),
                    int(q.iter().map(|x| x.4)),
                ],
            )
            .expect("quyet_dinh");
            let m = &self.measures;
            f.set_table(
                Table::BienPhapCuongChe,
                vec![
                    int(m.iter().map(|x| x.0)),
                    int(m.iter().map(|x| x.1)),
                    text(m.iter().map(|x| {
                        if x.2 == "tham_dinh_gia" || x.2 == "ban_dau_gia" {
                            "xu_ly_tai_san"
                        } else {
                            "cuong_che"
                        }
                    })),
                    text(m.iter().map(|x| x.2)),
                    date(m.iter().map(|x| x.3)),
                ],
            )
            .expect("bpcc");
            let t = &self.tasks;
            f.set_table(
                Table::NhiemVu,
                vec![
                    int(t.iter().map(|x| x.0)),
                    text(t.iter().map(|_| "Rà soát")),
                    text(t.iter().map(|_| "…")),
                    text(t.iter().map(|_| "ra_soat")),
                    int(t.iter().map(|x| x.1)),
                    oint(t.iter().map(|_| None)),
                    date(t.iter().map(|_| "2026-10-01")),
                    date(t.iter().map(|x| x.2)),
                    text(t.iter().map(|x| x.3)),
                    int(t.iter().map(|_| 0)),
                    odate(t.iter().map(|_| None)),
                    oint(t.iter().map(|_| None)),
                    otext(t.iter().map(|_| None)),
                    otext(t.iter().map(|_| None)),
                ],
            )
            .expect("nhiem_vu");
            f
        }
    }

    /// The KPI dataset: ten cases around the 30/9 – 1/10 boundary.
    pub(crate) fn kpi_cases() -> Vec<Case> {
        vec![
            // 1: done on 30/9/2026, the last day of year 2026.
            (
                1,
                3,
                "01",
                Some(10),
                "2025-11-03",
                Some("2025-11-05"),
                Some("2025-12-01"),
                1,
                "xong",
                100,
                100,
                Some("2026-09-30"),
            ),
            // 2: done on 1/10/2026, the first day of year 2027.
            (
                2,
                3,
                "01",
                Some(10),
                "2025-11-10",
                Some("2025-11-12"),
                Some("2025-12-05"),
                1,
                "xong",
                200,
                200,
                Some("2026-10-01"),
            ),
            // 3: taken in 2025, terminated (đình chỉ) in 2026 with 300 of 1000 collected.
            (
                3,
                3,
                "01",
                Some(11),
                "2025-06-01",
                Some("2025-06-03"),
                Some("2025-07-01"),
                1,
                "dinh_chi",
                1000,
                300,
                Some("2026-03-15"),
            ),
            // 4: running, 100 of 400 collected.
            (
                4,
                3,
                "01",
                Some(11),
                "2025-12-01",
                Some("2025-12-03"),
                None,
                1,
                "dang_thi_hanh",
                400,
                100,
                None,
            ),
            // 5: without conditions, unassigned.
            (
                5,
                3,
                "01",
                None,
                "2026-01-05",
                Some("2026-01-06"),
                Some("2026-02-01"),
                0,
                "chua_co_dieu_kien",
                500,
                0,
                None,
            ),
            // 6: transferred out (ủy thác): excluded everywhere.
            (
                6,
                3,
                "01",
                Some(10),
                "2025-10-20",
                Some("2025-10-21"),
                None,
                1,
                "uy_thac",
                900,
                0,
                Some("2025-11-01"),
            ),
            // 7: finished on 30/9/2025, before year 2026.
            (
                7,
                5,
                "79",
                Some(20),
                "2024-05-01",
                Some("2024-05-03"),
                Some("2024-06-01"),
                1,
                "xong",
                300,
                300,
                Some("2025-09-30"),
            ),
            // 8: taken in year 2027.
            (
                8,
                5,
                "79",
                Some(20),
                "2026-10-05",
                None,
                None,
                1,
                "cho_ra_quyet_dinh",
                50,
                0,
                None,
            ),
            // 9: postponed non-money case at the provincial office of 79.
            (
                9,
                4,
                "79",
                None,
                "2026-02-02",
                Some("2026-02-03"),
                Some("2026-03-01"),
                1,
                "hoan",
                0,
                0,
                None,
            ),
            // 10: non-money case done in 2026.
            (
                10,
                5,
                "79",
                Some(20),
                "2026-03-02",
                Some("2026-03-04"),
                Some("2026-04-01"),
                1,
                "xong",
                0,
                0,
                Some("2026-05-01"),
            ),
        ]
    }

    pub(crate) fn kpi_fixture() -> Fixture {
        Fixture {
            cases: kpi_cases(),
            receipts: vec![
                (
                    1,
                    3,
                    "01",
                    Some(2),
                    "2026-10-01",
                    200,
                    1,
                    "email",
                    1,
                    "hop_le",
                ),
                (2, 3, "01", Some(4), "2026-11-20", 50, 1, "sms", 0, "hop_le"),
                (3, 3, "01", Some(4), "2026-11-20", 70, 1, "sms", 1, "da_huy"),
                (
                    4,
                    5,
                    "79",
                    Some(10),
                    "2026-09-30",
                    10,
                    1,
                    "email",
                    1,
                    "hop_le",
                ),
                (5, 5, "79", None, "2026-11-19", 30, 0, "giay", 0, "hop_le"),
            ],
            petitions: vec![
                (
                    1,
                    3,
                    Some("01"),
                    "2026-10-02",
                    "2026-10-17",
                    Some("2026-10-15"),
                    "da_giai_quyet",
                ),
                (
                    2,
                    3,
                    Some("01"),
                    "2026-10-05",
                    "2026-10-20",
                    Some("2026-10-25"),
                    "da_giai_quyet",
                ),
                (
                    3,
                    3,
                    Some("01"),
                    "2026-11-01",
                    "2026-11-16",
                    None,
                    "dang_giai_quyet",
                ),
                (4, 1, None, "2026-11-18", "2026-12-03", None, "moi"),
                (
                    5,
                    5,
                    Some("79"),
                    "2026-09-01",
                    "2026-09-16",
                    Some("2026-09-10"),
                    "da_giai_quyet",
                ),
                (
                    6,
                    5,
                    Some("79"),
                    "2026-10-10",
                    "2026-10-25",
                    None,
                    "chuyen_don",
                ),
            ],
            decisions: vec![
                (1, 2, "khac", "2026-10-01", 1),
                (2, 4, "khac", "2026-11-02", 0),
                (3, 9, "hoan", "2026-02-03", 1),
                (4, 5, "chua_co_dieu_kien", "2026-10-20", 1),
                (5, 1, "thi_hanh_an", "2025-11-05", 0),
            ],
            ..Fixture::default()
        }
    }

    fn level(f: &Frames, year: i32, level: Level) -> Vec<KpiRow> {
        let p = Period::for_year(year, d(AS_OF)).expect("period");
        compute_level(f, &p, level).expect("level")
    }

    fn country(f: &Frames, year: i32) -> KpiRow {
        level(f, year, Level::Country)
            .into_iter()
            .next()
            .expect("country row")
    }

    fn row<'a>(rows: &'a [KpiRow], key: &str) -> &'a KpiRow {
        rows.iter().find(|r| r.key == key).expect("row")
    }

    #[test]
    fn period_boundaries() {
        let p = Period::containing(d("2026-09-30")).expect("p");
        assert_eq!(
            (p.year, p.start, p.end, p.report),
            (2026, d("2025-10-01"), d("2026-09-30"), d("2026-09-30"))
        );
        let p = Period::containing(d("2026-10-01")).expect("p");
        assert_eq!(
            (p.year, p.start, p.report),
            (2027, d("2026-10-01"), d("2026-10-01"))
        );
        let prev = p.previous().expect("prev");
        assert_eq!((prev.year, prev.report), (2026, d("2026-09-30")));
    }

    #[test]
    fn k1_k2_cases_to_enforce_and_with_conditions() {
        let f = kpi_fixture().frames();
        // 2026: P = {1,2,3,4,5,9,10} (6 ủy thác, 7 finished 30/9/2025, 8 taken 2026-10) = 7;
        // C = P minus 5 = 6; without conditions = {5} = 1.
        let c = country(&f, 2026);
        assert_eq!(
            (
                c.cases_to_enforce,
                c.cases_with_conditions,
                c.cases_without_conditions
            ),
            (7, 6, 1)
        );
        // 2027 (D = 20/11/2026): P = {2 (ended 1/10), 4, 5, 8, 9} = 5; C = {2,4,8,9} = 4.
        let c = country(&f, 2027);
        assert_eq!((c.cases_to_enforce, c.cases_with_conditions), (5, 4));
        // Money of P in 2026: 100+200+1000+400+500+0+0 = 2200; of C: 2200 − 500 = 1700.
        let c = country(&f, 2026);
        assert_eq!((c.money_to_enforce, c.money_with_conditions), (2200, 1700));
    }

    #[test]
    fn k3_k4_done_on_30_9_versus_1_10() {
        let f = kpi_fixture().frames();
        // 2026: X = {1 (30/9), 3 (đình chỉ), 10} = 3 of C = 6 → 50.00; case 2 (1/10) is not in.
        let c = country(&f, 2026);
        assert_eq!(c.cases_done, 3);
        assert_eq!(c.done_rate_cases, Some(50.0));
        // 2027: X = {2} of 4 → 25.00.
        let c = country(&f, 2027);
        assert_eq!(c.cases_done, 1);
        assert_eq!(c.done_rate_cases, Some(25.0));
    }

    #[test]
    fn k5_money_rate_counts_dinh_chi_in_full() {
        let f = kpi_fixture().frames();
        // Over C 2026: 1 → 100, 2 → 200 (collected), 3 đình chỉ in year → 1000 (not 300),
        // 4 → 100, 9 → 0, 10 → 0 = 1400; 100·1400/1700 = 82.3529… → 82.35.
        let c = country(&f, 2026);
        assert_eq!(c.money_done, 1400);
        assert_eq!(c.done_rate_money, Some(82.35));
        // Province 79: C = {9, 10}, both amount 0 → division by zero → None.
        let p = level(&f, 2026, Level::Province);
        assert_eq!(row(&p, "79").money_with_conditions, 0);
        assert_eq!(row(&p, "79").done_rate_money, None);
        // 2027: đình chỉ case 3 ended before S, so it is not in C at all: C = {2,4,8,9},
        // money 200+100+0+0 = 300 of 200+400+50+0 = 650 → 46.153… → 46.15.
        let c = country(&f, 2027);
        assert_eq!((c.money_done, c.money_with_conditions), (300, 650));
        assert_eq!(c.done_rate_money, Some(46.15));
    }

    #[test]
    fn k6_new_intake() {
        let f = kpi_fixture().frames();
        // 2026: taken 1/10/2025–30/9/2026, not ủy thác: {1,2,4,5,9,10} = 6.
        assert_eq!(country(&f, 2026).cases_new, 6);
        // 2027: {8} = 1.
        assert_eq!(country(&f, 2027).cases_new, 1);
    }

    #[test]
    fn k7_backlog_excludes_terminal_and_uy_thac() {
        let f = kpi_fixture().frames();
        // Non-terminal now: {4, 5, 8, 9} = 4; with conditions {4, 8, 9} = 3.
        let c = country(&f, 2027);
        assert_eq!((c.backlog, c.backlog_with_conditions), (4, 3));
        // Province 79: {8, 9}.
        assert_eq!(row(&level(&f, 2027, Level::Province), "79").backlog, 2);
    }

    #[test]
    fn k8_carried_over_and_in() {
        let f = kpi_fixture().frames();
        // From 2026: thụ lý ≤ 30/9/2026 and not ended by then: {2 (ended 1/10), 4, 5, 9} = 4,
        // with conditions {2, 4, 9} = 3; case 1 ended on 30/9 is not carried.
        let c = country(&f, 2026);
        assert_eq!((c.carried_over, c.carried_over_with_conditions), (4, 3));
        // Into 2026 (K8 of 2025): {3} = 1 (7 ended exactly on 30/9/2025).
        assert_eq!(c.carried_in, 1);
        // Into 2027 = K8 of 2026 = 4.
        assert_eq!(country(&f, 2027).carried_in, 4);
    }

    #[test]
    fn k10_done_per_officer() {
        let f = kpi_fixture().frames();
        // Active CHVs: 10, 11, 20 (12 retired, 13 a clerk) = 3; X 2026 = 3 → 1.00.
        let c = country(&f, 2026);
        assert_eq!(c.officers, 3);
        assert_eq!(c.done_per_officer, Some(1.0));
        // Officer level 2026: 10 → X {1} = 1; 11 → {3} = 1; 20 → {10} = 1; 12 has no case and
        // is retired, so no row.
        let o = level(&f, 2026, Level::Officer);
        assert_eq!(o.len(), 3);
        let r10 = row(&o, "10");
        assert_eq!(
            (r10.cases_done, r10.officers, r10.done_per_officer),
            (1, 1, Some(1.0))
        );
        assert_eq!(
            (r10.don_vi_id, r10.ma_tinh.as_deref()),
            (Some(3), Some("01"))
        );
        // 2027: X = 1 over 3 officers → 0.333… → 0.33.
        assert_eq!(country(&f, 2027).done_per_officer, Some(0.33));
        // A unit with no officer: the provincial office 4 → divisor 0 → None.
        let offices = level(&f, 2027, Level::Office);
        assert_eq!(row(&offices, "T79").done_per_officer, None);
    }

    #[test]
    fn k11_receipts_today_channels_and_shares() {
        let f = kpi_fixture().frames();
        // 2027, valid in [1/10, 20/11]: receipts 1, 2, 5 (3 cancelled, 4 dated 30/9) = 3,
        // 200+50+30 = 280; e-receipts 2/3 = 66.67 %; signed 1/3 = 33.33 %;
        // email 1, sms 1, paper 1; today (20/11): receipt 2 → 1, 50.
        let c = country(&f, 2027);
        assert_eq!((c.receipts_count, c.receipts_amount), (3, 280));
        assert_eq!(
            (c.receipts_email, c.receipts_sms, c.receipts_paper),
            (1, 1, 1)
        );
        assert_eq!(c.receipts_electronic_rate, Some(66.67));
        assert_eq!(c.receipts_signed_rate, Some(33.33));
        assert_eq!((c.receipts_today, c.receipts_today_amount), (1, 50));
        // Hà Nội: receipts 1, 2 → 250, both electronic → 100.00, one signed → 50.00.
        let p = level(&f, 2027, Level::Province);
        let hn = row(&p, "01");
        assert_eq!((hn.receipts_count, hn.receipts_amount), (2, 250));
        assert_eq!(
            (hn.receipts_electronic_rate, hn.receipts_signed_rate),
            (Some(100.0), Some(50.0))
        );
    }

    #[test]
    fn k12_complaints_open_and_on_time() {
        let f = kpi_fixture().frames();
        // Open now: 3 (dang_giai_quyet), 4 (moi, at the Cục) = 2. Resolved in 2027: 1 (on
        // time), 2 (late) → 50.00. Received in 2027: 1, 2, 3, 4, 6 = 5.
        let c = country(&f, 2027);
        assert_eq!(
            (
                c.complaints_open,
                c.complaints_resolved,
                c.complaints_resolved_on_time
            ),
            (2, 2, 1)
        );
        assert_eq!(c.complaints_received, 5);
        assert_eq!(c.complaints_on_time_rate, Some(50.0));
        // 79: nothing resolved in 2027 (5 was resolved in 2026, 6 forwarded) → None.
        assert_eq!(
            row(&level(&f, 2027, Level::Province), "79").complaints_on_time_rate,
            None
        );
        // The Cục's petition shows at office level only (no province).
        let offices = level(&f, 2027, Level::Office);
        assert_eq!(row(&offices, "CUC").complaints_open, 1);
        assert_eq!(row(&offices, "CUC").ma_tinh, None);
    }

    #[test]
    fn k13_decisions_signed_rate() {
        let f = kpi_fixture().frames();
        // 2027 by ngay_ky: decisions 1 (signed), 2 (not), 4 (signed) → 2/3 = 66.67.
        let c = country(&f, 2027);
        assert_eq!((c.decisions, c.decisions_signed), (3, 2));
        assert_eq!(c.decisions_signed_rate, Some(66.67));
        // 2026: decisions 3 (signed), 5 (not) → 50.00.
        assert_eq!(country(&f, 2026).decisions_signed_rate, Some(50.0));
    }

    #[test]
    fn k14_average_days_to_done() {
        let f = kpi_fixture().frames();
        // X 2026: case 1 2025-11-03→2026-09-30 = 331 days, case 3 2025-06-01→2026-03-15 = 287,
        // case 10 2026-03-02→2026-05-01 = 60; (331+287+60)/3 = 226.00.
        assert_eq!(country(&f, 2026).avg_days_to_done, Some(226.0));
        // Hà Nội: (331 + 287) / 2 = 309.00.
        assert_eq!(
            row(&level(&f, 2026, Level::Province), "01").avg_days_to_done,
            Some(309.0)
        );
        // No X → None.
        let f0 = Fixture {
            cases: vec![kpi_cases()[3]],
            ..Fixture::default()
        }
        .frames();
        assert_eq!(country(&f0, 2026).avg_days_to_done, None);
    }

    #[test]
    fn k15_meets_target_with_fallbacks() {
        let f = kpi_fixture().frames();
        let p = level(&f, 2026, Level::Province);
        // Hà Nội 2026: K4 50.00 ≥ 50.00 and K5 82.35 ≥ 80.00 (its own row) → true.
        let hn = row(&p, "01");
        assert_eq!(
            (hn.target_rate_cases, hn.target_rate_money),
            (Some(50.0), Some(80.0))
        );
        assert_eq!(hn.meets_target, Some(true));
        // 79 has no row → national 83.90/51.90; K5 is None (no money) but K4 50.00 < 83.90
        // already fails, so false (SQL three-valued AND: false AND NULL = false).
        let hcm = row(&p, "79");
        assert_eq!(hcm.target_rate_cases, Some(83.9));
        assert_eq!((hcm.done_rate_money, hcm.meets_target), (None, Some(false)));
        // The Cục office in 2027 has petitions but no case: C = 0 → K4 None → None.
        let offices = level(&f, 2027, Level::Office);
        assert_eq!(
            (
                row(&offices, "CUC").done_rate_cases,
                row(&offices, "CUC").meets_target
            ),
            (None, None)
        );
        // Country: 50.00 < 83.90 → false. Regions use the national target.
        let c = country(&f, 2026);
        assert_eq!(c.meets_target, Some(false));
        let mien = level(&f, 2026, Level::Region(RegionKind::Mien));
        assert_eq!(row(&mien, "bac").target_rate_cases, Some(83.9));
        // Office T01-KV01 has no row → its province's (50.00/80.00); K4 = X{1,3}/C{1,2,3,4} =
        // 50.00, K5 82.35 → true.
        let offices = level(&f, 2026, Level::Office);
        let kv = row(&offices, "T01-KV01");
        assert_eq!(
            (kv.target_rate_cases, kv.meets_target),
            (Some(50.0), Some(true))
        );
    }

    #[test]
    fn levels_partition_the_country() {
        let f = kpi_fixture().frames();
        // mien: bac = 01 (P 2026 {1,2,3,4,5} = 5), nam = 79 ({9,10} = 2); vung dbsh / dnb.
        let mien = level(&f, 2026, Level::Region(RegionKind::Mien));
        assert_eq!(
            mien.iter()
                .map(|r| (r.key.as_str(), r.cases_to_enforce))
                .collect::<Vec<_>>(),
            vec![("bac", 5), ("nam", 2)]
        );
        let vung = level(&f, 2026, Level::Region(RegionKind::Vung));
        assert_eq!(
            vung.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(),
            vec!["dbsh", "dnb"]
        );
        // Offices: T01-KV01 {1..5} = 5, T79 {9} = 1, T79-KV01 {10} = 1; CUC has no case.
        let o = level(&f, 2026, Level::Office);
        assert_eq!(row(&o, "T01-KV01").cases_to_enforce, 5);
        assert_eq!(row(&o, "T79").cases_to_enforce, 1);
        assert_eq!(row(&o, "T79-KV01").cases_to_enforce, 1);
        let total: u64 = o.iter().map(|r| r.cases_to_enforce).sum();
        assert_eq!(total, 7);
    }

    fn flagged(f: &Frames, rule: RuleId) -> Vec<i64> {
        let r = RuleParams::new(f, d(AS_OF)).expect("params");
        let df = overdue_rule(f, rule, &r).collect().expect("collect");
        let mut ids: Vec<i64> = df
            .column(n::ID)
            .expect("id")
            .i64()
            .expect("i64")
            .iter()
            .flatten()
            .collect();
        ids.sort_unstable();
        ids
    }

    /// A case with the fields that matter to a rule; the rest neutral.
    #[allow(clippy::too_many_arguments)]
    fn case(
        id: i64,
        thu_ly: &'static str,
        qd: Option<&'static str>,
        xm: Option<&'static str>,
        status: &'static str,
        phai: i64,
        da: i64,
    ) -> Case {
        let cdk = i64::from(status != "chua_co_dieu_kien");
        let end = ["xong", "dinh_chi", "uy_thac"]
            .contains(&status)
            .then_some("2026-11-01");
        (
            id,
            3,
            "01",
            Some(10),
            thu_ly,
            qd,
            xm,
            cdk,
            status,
            phai,
            da,
            end,
        )
    }

    #[test]
    fn rule_params_dates() {
        // As-of 2026-11-20: −6 months = 2026-05-20, −12 months = 2025-11-20, −25 days = 2026-10-26.
        let r = RuleParams::with_working_day(d(AS_OF), 0).expect("params");
        assert_eq!(
            (r.minus_6_months, r.minus_12_months, r.minus_25_days),
            (d("2026-05-20"), d("2025-11-20"), d("2026-10-26"))
        );
        let f = Fixture::default().frames();
        assert!(matches!(
            RuleParams::new(&f, d("2031-01-01")),
            Err(Error::Calendar(_))
        ));
    }

    #[test]
    fn qh01_late_decision_counts_working_days() {
        let f = Fixture {
            cases: vec![
                // Thu 1/10 → Thu 8/10: 2, 5, 6, 7, 8 Oct = 5 working days → not late.
                case(
                    1,
                    "2026-10-01",
                    Some("2026-10-08"),
                    None,
                    "dang_thi_hanh",
                    1,
                    0,
                ),
                // → Fri 9/10: 6 → late.
                case(
                    2,
                    "2026-10-01",
                    Some("2026-10-09"),
                    None,
                    "dang_thi_hanh",
                    1,
                    0,
                ),
                // Mon 29/12/2025 → Tue 6/1/2026: 30, 31 Dec, (1/1 holiday), 2, 5, 6 Jan = 5.
                case(
                    3,
                    "2025-12-29",
                    Some("2026-01-06"),
                    None,
                    "dang_thi_hanh",
                    1,
                    0,
                ),
                // No decision yet → not this rule; a transferred late case is still flagged.
                case(4, "2026-10-01", None, None, "cho_ra_quyet_dinh", 1, 0),
                case(5, "2026-10-01", Some("2026-10-12"), None, "uy_thac", 1, 0),
            ],
            ..Fixture::default()
        }
        .frames();
        assert_eq!(flagged(&f, RuleId::Qh01), vec![2, 5]);
    }

    #[test]
    fn qh02_decision_overdue() {
        let f = Fixture {
            cases: vec![
                // Fri 13/11 → Fri 20/11: 16–20 Nov = 5 → no; Thu 12/11: 6 → yes.
                case(1, "2026-11-13", None, None, "cho_ra_quyet_dinh", 1, 0),
                case(2, "2026-11-12", None, None, "cho_ra_quyet_dinh", 1, 0),
                case(
                    3,
                    "2026-10-01",
                    Some("2026-10-02"),
                    None,
                    "dang_thi_hanh",
                    1,
                    0,
                ),
            ],
            ..Fixture::default()
        }
        .frames();
        assert_eq!(flagged(&f, RuleId::Qh02), vec![2]);
    }

    #[test]
    fn qh03_not_verified() {
        let f = Fixture {
            cases: vec![
                // QĐ before 2026-10-26, no verification → yes; on 26/10 → no.
                case(
                    1,
                    "2026-10-20",
                    Some("2026-10-25"),
                    None,
                    "dang_thi_hanh",
                    1,
                    0,
                ),
                case(
                    2,
                    "2026-10-20",
                    Some("2026-10-26"),
                    None,
                    "dang_thi_hanh",
                    1,
                    0,
                ),
                case(
                    3,
                    "2026-09-20",
                    Some("2026-10-01"),
                    Some("2026-10-20"),
                    "dang_thi_hanh",
                    1,
                    0,
                ),
                case(4, "2026-09-20", Some("2026-10-01"), None, "hoan", 1, 0),
            ],
            ..Fixture::default()
        }
        .frames();
        assert_eq!(flagged(&f, RuleId::Qh03), vec![1]);
    }

    #[test]
    fn qh04_reverification_overdue() {
        let f = Fixture {
            cases: vec![
                // Verified 19/5 (< 2026-05-20) → yes; on 20/5 → no; never → yes.
                case(
                    1,
                    "2025-01-01",
                    Some("2025-01-02"),
                    Some("2026-05-19"),
                    "chua_co_dieu_kien",
                    1,
                    0,
                ),
                case(
                    2,
                    "2025-01-01",
                    Some("2025-01-02"),
                    Some("2026-05-20"),
                    "chua_co_dieu_kien",
                    1,
                    0,
                ),
                case(
                    3,
                    "2025-01-01",
                    Some("2025-01-02"),
                    None,
                    "chua_co_dieu_kien",
                    1,
                    0,
                ),
                case(
                    4,
                    "2025-01-01",
                    Some("2025-01-02"),
                    Some("2025-01-10"),
                    "dang_thi_hanh",
                    1,
                    0,
                ),
            ],
            ..Fixture::default()
        }
        .frames();
        assert_eq!(flagged(&f, RuleId::Qh04), vec![1, 3]);
    }

    #[test]
    fn qh05_qh06_long_postponement_and_suspension() {
        let f = Fixture {
            cases: vec![
                case(1, "2026-01-01", Some("2026-01-02"), None, "hoan", 1, 0),
                case(2, "2026-01-01", Some("2026-01-02"), None, "hoan", 1, 0),
                case(3, "2026-01-01", Some("2026-01-02"), None, "hoan", 1, 0),
                case(
                    4,
                    "2026-01-01",
                    Some("2026-01-02"),
                    None,
                    "dang_thi_hanh",
                    1,
                    0,
                ),
                case(
                    5,
                    "2025-01-01",
                    Some("2025-01-02"),
                    None,
                    "tam_dinh_chi",
                    1,
                    0,
                ),
                case(
                    6,
                    "2025-01-01",
                    Some("2025-01-02"),
                    None,
                    "tam_dinh_chi",
                    1,
                    0,
                ),
            ],
            decisions: vec![
                // 1: latest hoãn 1/9 (≥ 2026-08-22) → no, although an older one is before.
                (1, 1, "hoan", "2026-08-01", 1),
                (2, 1, "hoan", "2026-09-01", 1),
                // 2: 21/8 < 22/8 → yes. 3: no hoãn decision → no. 4: not hoãn now → no.
                (3, 2, "hoan", "2026-08-21", 1),
                (4, 4, "hoan", "2026-01-01", 1),
                // 5: tạm đình chỉ 23/5 < 2026-05-24 → yes; 6: on 24/5 → no.
                (5, 5, "tam_dinh_chi", "2026-05-23", 1),
                (6, 6, "tam_dinh_chi", "2026-05-24", 1),
            ],
            ..Fixture::default()
        }
        .frames();
        assert_eq!(flagged(&f, RuleId::Qh05), vec![2]);
        assert_eq!(flagged(&f, RuleId::Qh06), vec![5]);
    }

    #[test]
    fn qh07_collected_not_closed() {
        let f = Fixture {
            cases: vec![
                case(
                    1,
                    "2026-01-01",
                    Some("2026-01-02"),
                    Some("2026-02-01"),
                    "dang_thi_hanh",
                    100,
                    100,
                ),
                case(
                    2,
                    "2026-01-01",
                    Some("2026-01-02"),
                    Some("2026-02-01"),
                    "dang_thi_hanh",
                    100,
                    100,
                ),
                case(
                    3,
                    "2026-01-01",
                    Some("2026-01-02"),
                    Some("2026-02-01"),
                    "dang_thi_hanh",
                    100,
                    100,
                ),
                case(
                    4,
                    "2026-01-01",
                    Some("2026-01-02"),
                    Some("2026-02-01"),
                    "dang_thi_hanh",
                    100,
                    50,
                ),
                case(
                    5,
                    "2026-01-01",
                    Some("2026-01-02"),
                    Some("2026-02-01"),
                    "dang_thi_hanh",
                    0,
                    0,
                ),
                case(
                    6,
                    "2026-01-01",
                    Some("2026-01-02"),
                    Some("2026-02-01"),
                    "dang_thi_hanh",
                    100,
                    100,
                ),
            ],
            receipts: vec![
                // 1: last valid 9/11 < 2026-11-10 → yes.
                (
                    1,
                    3,
                    "01",
                    Some(1),
                    "2026-11-09",
                    100,
                    1,
                    "sms",
                    1,
                    "hop_le",
                ),
                // 2: last valid 10/11 → no.
                (2, 3, "01", Some(2), "2026-11-01", 50, 1, "sms", 1, "hop_le"),
                (3, 3, "01", Some(2), "2026-11-10", 50, 1, "sms", 1, "hop_le"),
                // 3: only a cancelled receipt → no valid receipt → not flagged.
                (
                    4,
                    3,
                    "01",
                    Some(3),
                    "2026-11-01",
                    100,
                    1,
                    "sms",
                    1,
                    "da_huy",
                ),
                // 4: not fully collected; 5: no amount.
                (5, 3, "01", Some(4), "2026-11-01", 50, 1, "sms", 1, "hop_le"),
                // 6: valid 1/11, the later 12/11 one is cancelled → yes.
                (
                    6,
                    3,
                    "01",
                    Some(6),
                    "2026-11-01",
                    100,
                    1,
                    "sms",
                    1,
                    "hop_le",
                ),
                (
                    7,
                    3,
                    "01",
                    Some(6),
                    "2026-11-12",
                    100,
                    1,
                    "sms",
                    1,
                    "da_huy",
                ),
            ],
            ..Fixture::default()
        }
        .frames();
        assert_eq!(flagged(&f, RuleId::Qh07), vec![1, 6]);
    }

    #[test]
    fn qh08_no_action() {
        let f = Fixture {
            cases: vec![
                // Verified 20/9 (< 2026-09-21), nothing collected, no measure → yes.
                case(
                    1,
                    "2026-08-01",
                    Some("2026-08-02"),
                    Some("2026-09-20"),
                    "dang_thi_hanh",
                    100,
                    0,
                ),
                case(
                    2,
                    "2026-08-01",
                    Some("2026-08-02"),
                    Some("2026-09-20"),
                    "dang_thi_hanh",
                    100,
                    0,
                ),
                case(
                    3,
                    "2026-08-01",
                    Some("2026-08-02"),
                    Some("2026-09-21"),
                    "dang_thi_hanh",
                    100,
                    0,
                ),
                case(
                    4,
                    "2026-08-01",
                    Some("2026-08-02"),
                    Some("2026-09-01"),
                    "dang_thi_hanh",
                    100,
                    10,
                ),
            ],
            // 2 has an account freeze → acted on.
            measures: vec![(1, 2, "phong_toa_tai_khoan", "2026-10-01")],
            ..Fixture::default()
        }
        .frames();
        assert_eq!(flagged(&f, RuleId::Qh08), vec![1]);
    }

    #[test]
    fn qh09_attached_not_valued() {
        let running = |id| {
            case(
                id,
                "2026-01-01",
                Some("2026-01-02"),
                Some("2026-02-01"),
                "dang_thi_hanh",
                100,
                0,
            )
        };
        let f = Fixture {
            cases: vec![
                running(1),
                running(2),
                running(3),
                running(4),
                case(5, "2026-01-01", Some("2026-01-02"), None, "xong", 1, 1),
                running(6),
            ],
            measures: vec![
                // 1: kê biên Thu 12/11 → 6 working days to 20/11 → yes. 2: Fri 13/11 → 5 → no.
                (1, 1, "ke_bien_tai_san", "2026-11-12"),
                (2, 2, "ke_bien_tai_san", "2026-11-13"),
                // 3: valued after → no.
                (3, 3, "ke_bien_tai_san", "2026-10-01"),
                (4, 3, "tham_dinh_gia", "2026-10-05"),
                // 4: a second kê biên after the valuation → yes, once.
                (5, 4, "ke_bien_tai_san", "2026-10-01"),
                (6, 4, "tham_dinh_gia", "2026-10-05"),
                (7, 4, "ke_bien_tai_san", "2026-10-20"),
                (8, 4, "ke_bien_tai_san", "2026-10-21"),
                // 5: case finished → no. 6: valued the same day ("on/after") → no.
                (9, 5, "ke_bien_tai_san", "2026-10-01"),
                (10, 6, "ke_bien_tai_san", "2026-10-01"),
                (11, 6, "tham_dinh_gia", "2026-10-01"),
            ],
            ..Fixture::default()
        }
        .frames();
        assert_eq!(flagged(&f, RuleId::Qh09), vec![1, 4]);
    }

    #[test]
    fn qh10_valued_not_auctioned() {
        let running = |id| {
            case(
                id,
                "2026-01-01",
                Some("2026-01-02"),
                Some("2026-02-01"),
                "dang_thi_hanh",
                100,
                0,
            )
        };
        let f = Fixture {
            cases: vec![
                running(1),
                running(2),
                running(3),
                running(4),
                case(5, "2026-01-01", Some("2026-01-02"), None, "dinh_chi", 1, 0),
            ],
            measures: vec![
                // 1: valued 25/9 (< 2026-09-26) → yes; 2: 26/9 → no.
                (1, 1, "tham_dinh_gia", "2026-09-25"),
                (2, 2, "tham_dinh_gia", "2026-09-26"),
                // 3: auctioned after → no; 4: the only auction is before the valuation → yes.
                (3, 3, "tham_dinh_gia", "2026-08-01"),
                (4, 3, "ban_dau_gia", "2026-09-01"),
                (5, 4, "tham_dinh_gia", "2026-08-01"),
                (6, 4, "ban_dau_gia", "2026-07-01"),
                // 5: terminated case → no.
                (7, 5, "tham_dinh_gia", "2026-08-01"),
            ],
            ..Fixture::default()
        }
        .frames();
        assert_eq!(flagged(&f, RuleId::Qh10), vec![1, 4]);
    }

    #[test]
    fn qh11_old_enforceable() {
        let f = Fixture {
            cases: vec![
                // Thụ lý 19/11/2025 (< 2025-11-20) → yes; on 20/11 → no.
                case(
                    1,
                    "2025-11-19",
                    Some("2025-11-20"),
                    None,
                    "dang_thi_hanh",
                    1,
                    0,
                ),
                case(
                    2,
                    "2025-11-20",
                    Some("2025-11-21"),
                    None,
                    "dang_thi_hanh",
                    1,
                    0,
                ),
                // Without conditions → no; finished → no; postponed (co_dieu_kien 1) → yes.
                case(
                    3,
                    "2024-01-01",
                    Some("2024-01-02"),
                    None,
                    "chua_co_dieu_kien",
                    1,
                    0,
                ),
                case(4, "2024-01-01", Some("2024-01-02"), None, "xong", 1, 1),
                case(5, "2024-01-01", Some("2024-01-02"), None, "hoan", 1, 0),
            ],
            ..Fixture::default()
        }
        .frames();
        assert_eq!(flagged(&f, RuleId::Qh11), vec![1, 5]);
    }

    #[test]
    fn qh12_qh13_qh14_petitions() {
        let f = Fixture {
            petitions: vec![
                // QH12: open with deadline before 20/11.
                (1, 3, Some("01"), "2026-11-01", "2026-11-19", None, "moi"),
                (
                    2,
                    3,
                    Some("01"),
                    "2026-11-01",
                    "2026-11-20",
                    None,
                    "dang_giai_quyet",
                ),
                (
                    3,
                    3,
                    Some("01"),
                    "2026-10-01",
                    "2026-11-01",
                    Some("2026-10-20"),
                    "da_giai_quyet",
                ),
                (
                    4,
                    1,
                    None,
                    "2026-09-01",
                    "2026-10-01",
                    None,
                    "dang_giai_quyet",
                ),
                // QH13: resolved after the deadline (5); on the deadline (6) is on time.
                (
                    5,
                    3,
                    Some("01"),
                    "2026-10-01",
                    "2026-10-20",
                    Some("2026-10-25"),
                    "da_giai_quyet",
                ),
                (
                    6,
                    3,
                    Some("01"),
                    "2026-10-01",
                    "2026-10-20",
                    Some("2026-10-20"),
                    "da_giai_quyet",
                ),
                // QH14: still 'moi' and received before 2026-11-10 (8), on 10/11 (9) → no.
                (8, 3, Some("01"), "2026-11-09", "2026-11-24", None, "moi"),
                (9, 3, Some("01"), "2026-11-10", "2026-11-25", None, "moi"),
                (
                    10,
                    3,
                    Some("01"),
                    "2026-10-01",
                    "2026-12-31",
                    None,
                    "dang_giai_quyet",
                ),
            ],
            ..Fixture::default()
        }
        .frames();
        assert_eq!(flagged(&f, RuleId::Qh12), vec![1, 4]);
        assert_eq!(flagged(&f, RuleId::Qh13), vec![5]);
        // 1 (moi, received 1/11) is also before 10/11.
        assert_eq!(flagged(&f, RuleId::Qh14), vec![1, 8]);
    }

    #[test]
    fn qh15_tasks_past_deadline() {
        let f = Fixture {
            tasks: vec![
                (1, 2, "2026-11-19", "moi"),
                (2, 3, "2026-11-20", "dang_thuc_hien"),
                (3, 3, "2026-11-01", "hoan_thanh"),
                (4, 5, "2026-10-01", "dang_thuc_hien"),
            ],
            ..Fixture::default()
        }
        .frames();
        assert_eq!(flagged(&f, RuleId::Qh15), vec![1, 4]);
        // Placed at the assignee unit's province: task 4 → unit 5 → 79.
        let r = RuleParams::new(&f, d(AS_OF)).expect("params");
        let df = qh15_task_overdue(f.lazy(Table::NhiemVu), f.lazy(Table::DonVi), &r)
            .sort([n::ID], SortMultipleOptions::default())
            .collect()
            .expect("collect");
        let provinces: Vec<_> = df
            .column(n::MA_TINH)
            .expect("c")
            .str()
            .expect("s")
            .iter()
            .map(|s| s.map(str::to_owned))
            .collect();
        assert_eq!(
            provinces,
            vec![Some("01".to_owned()), Some("79".to_owned())]
        );
    }

    #[test]
    fn qh16_decision_unsigned() {
        // Decisions of kpi_fixture: 2 (2/11/2026, unsigned) → yes; 5 (5/11/2025, before the
        // platform launch, unsigned) → no; the others are signed.
        let f = kpi_fixture().frames();
        assert_eq!(flagged(&f, RuleId::Qh16), vec![2]);
    }

    #[test]
    fn k9_overdue_totals_by_level() {
        // kpi_fixture at 20/11/2026: QH16 {decision 2 → case 4, 01, officer 11};
        // QH03: case 4 dang_thi_hanh, no verification, QĐ 3/12/2025 < 26/10 → yes;
        // QH04: case 5 verified 1/2/2026 < 20/5 → yes; QH11: 4 (thụ lý 1/12/2025 is not before
        // 20/11/2025) → no; 9 hoãn thụ lý 2/2/2026 → no; QH05: case 9 has hoãn QĐ 3/2/2026 <
        // 22/8 → yes; QH02: case 8 thụ lý Mon 5/10 → far more than 5 working days → yes;
        // QH12: petition 3 (deadline 16/11) → yes; QH14: 3 is dang_giai_quyet, 4 received 18/11 →
        // none; QH13: petition 2 → yes. Total 7.
        let f = kpi_fixture().frames();
        let s = compute_snapshot(&f, d(AS_OF)).expect("snapshot");
        let got: Vec<(RuleId, u64)> = s.national.overdue.iter().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(
            got,
            vec![
                (RuleId::Qh02, 1),
                (RuleId::Qh03, 1),
                (RuleId::Qh04, 1),
                (RuleId::Qh05, 1),
                (RuleId::Qh12, 1),
                (RuleId::Qh13, 1),
                (RuleId::Qh16, 1),
            ]
        );
        assert_eq!(s.national.overdue_total, 7);
        // By province: 79 has QH02 (case 8) and QH05 (case 9); 01 the other 5.
        let hn = row(&s.by_province, "01");
        let hcm = row(&s.by_province, "79");
        assert_eq!((hn.overdue_total, hcm.overdue_total), (5, 2));
        let qh05 = s
            .overdue
            .iter()
            .find(|o| o.rule == RuleId::Qh05)
            .expect("qh05");
        assert_eq!(qh05.by_province.get("79"), Some(&1));
        // Officer 11 holds case 4: QH03 and QH16.
        assert_eq!(row(&s.by_officer, "11").overdue_total, 2);
    }

    #[test]
    fn monthly_series_cumulative_rate_ends_at_k4() {
        let f = kpi_fixture().frames();
        let s = compute_snapshot(&f, d(AS_OF)).expect("snapshot");
        let series = |year: i32| -> Vec<&MonthlyRow> {
            s.monthly
                .iter()
                .filter(|m| m.year == year && m.level == Level::Country)
                .collect()
        };
        // 2027 to 20/11: Oct, Nov. New: 8 in Oct. X: case 2 in Oct. C entries: 2, 4, 9 carried
        // in (→ Oct) and 8 (Oct) = 4. Cumulative K4 25.00 both months. Receipts: Oct {1} 200,
        // Nov {2, 5} 80.
        let now = series(2027);
        assert_eq!(
            now.iter().map(|m| m.thang.as_str()).collect::<Vec<_>>(),
            vec!["2026-10", "2026-11"]
        );
        assert_eq!(
            (
                now[0].cases_new,
                now[0].cases_done,
                now[0].cases_with_conditions
            ),
            (1, 1, 4)
        );
        assert_eq!(
            (
                now[1].cases_done_cumulative,
                now[1].cases_with_conditions_cumulative
            ),
            (1, 4)
        );
        assert_eq!(now[1].done_rate_cases_cumulative, Some(25.0));
        assert_eq!(
            (
                now[0].receipts_count,
                now[0].receipts_amount,
                now[1].receipts_amount
            ),
            (1, 200, 80)
        );
        // 2026: 12 months. C entries: 3 (Oct), 1 and 2 (Nov), 4 (Dec), 9 (Feb), 10 (Mar).
        // X: 3 in Mar, 10 in May, 1 in Sep. At end of Mar: 1 / 6 = 16.67; at Sep 3/6 = 50.00 = K4.
        let prev = series(2026);
        assert_eq!(prev.len(), 12);
        let march = prev.iter().find(|m| m.thang == "2026-03").expect("march");
        assert_eq!(march.done_rate_cases_cumulative, Some(16.67));
        assert_eq!(prev[11].done_rate_cases_cumulative, Some(50.0));
        // Province 79, 2027: one row per month even when nothing happened.
        let hcm: Vec<_> = s
            .monthly
            .iter()
            .filter(|m| m.year == 2027 && m.level == Level::Province && m.key == "79")
            .collect();
        assert_eq!(hcm.len(), 2);
    }

    #[test]
    fn snapshot_has_every_level_and_serialises() {
        let f = kpi_fixture().frames();
        let s = compute_snapshot(&f, d(AS_OF)).expect("snapshot");
        assert_eq!((s.period.year, s.previous.year), (2027, 2026));
        assert_eq!(s.national.key, COUNTRY_KEY);
        assert_eq!(s.national.done_rate_cases, Some(25.0));
        assert_eq!(s.by_mien.len(), 2);
        assert_eq!(s.by_vung.len(), 2);
        assert_eq!(s.by_province.len(), 2);
        // Offices with any fact: CUC (petition), T01-KV01, T79, T79-KV01.
        assert_eq!(
            s.by_office
                .iter()
                .map(|r| r.key.as_str())
                .collect::<Vec<_>>(),
            vec!["CUC", "T01-KV01", "T79", "T79-KV01"]
        );
        assert_eq!(s.overdue.len(), 16);
        let json = serde_json_like(&s);
        assert!(json.contains("QH16"));
        // The same data after micro-batches gives the same snapshot.
        let mut live = Fixture {
            cases: kpi_cases()[..5].to_vec(),
            ..kpi_fixture()
        }
        .frames();
        let rest: Vec<Case> = kpi_cases()[5..].to_vec();
        let cols = Fixture {
            cases: rest,
            ..Fixture::default()
        }
        .frames();
        let batch = frame_columns(cols.frame(Table::ViecThiHanh));
        live.upsert(Table::ViecThiHanh, batch).expect("upsert");
        assert!(live.same_rows(&f).expect("same"));
        let again = compute_snapshot(&live, d(AS_OF)).expect("snapshot");
        assert_eq!(again.by_province, s.by_province);
        assert_eq!(again.national, s.national);
    }

    fn serde_json_like(s: &KpiSnapshot) -> String {
        // serde_json is not a dependency of this crate; Debug shows the serialised codes too,
        // and the Serialize derive is checked by the compiler.
        fn is_serialize<T: Serialize>(_: &T) {}
        is_serialize(s);
        format!(
            "{:?}",
            s.overdue.iter().map(|o| o.rule.code()).collect::<Vec<_>>()
        )
    }

    fn frame_columns(df: &DataFrame) -> Vec<ColumnData> {
        table_columns(Table::ViecThiHanh, df)
    }

    /// The rows of `df` (a frame of `table`) as batch columns.
    pub(crate) fn table_columns(table: Table, df: &DataFrame) -> Vec<ColumnData> {
        table
            .columns()
            .iter()
            .map(|c| {
                let col = df.column(c.name).expect("col");
                match c.ty {
                    crate::schema::ColType::Text => ColumnData::Text(
                        col.str()
                            .expect("s")
                            .iter()
                            .map(|s| s.map(str::to_owned))
                            .collect(),
                    ),
                    crate::schema::ColType::Date => ColumnData::Date(
                        col.cast(&DataType::Int32)
                            .expect("cast")
                            .i32()
                            .expect("i32")
                            .iter()
                            .map(|v| v.and_then(crate::frames::date_from_epoch_days))
                            .collect(),
                    ),
                    crate::schema::ColType::Rate => {
                        ColumnData::Float(col.f64().expect("f64").iter().collect())
                    }
                    _ => ColumnData::Int(col.i64().expect("i64").iter().collect()),
                }
            })
            .collect()
    }
}
