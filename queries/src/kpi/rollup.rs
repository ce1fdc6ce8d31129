//! Stage 2 of a snapshot in plain Rust, for the incremental engine ([`crate::engine`]): every
//! level, target, rate and monthly series summed from fact rows kept in hash maps
//! ([`Sums`]), instead of the Polars plans of [`super::snapshot_from_facts`].
//!
//! It computes what those plans compute, step for step: the same groups
//! ([`super::roll_up`]), the same target fallback ([`super::with_targets`]), the same `f64`
//! operations and rounding for the rates ([`super::with_rates`]: `round(100·n / d, 2)` half
//! away from zero, `None` when `d = 0`; K15 with three-valued `AND`), the same month grid and
//! running sums ([`super::monthly_table`]) and the same row order (by key, then month). The
//! engine's tests compare its snapshots with [`super::compute_snapshot`] after every random
//! batch, and `ioc bench kpi` does so at scale 1.0.

use std::collections::BTreeMap;
use std::hash::Hash;

use polars::prelude::*;

use super::{
    empty_row, level_measures, month_of, names as n, overdue_counts, KpiRow, KpiSnapshot, Level,
    MonthlyRow, Period, RegionKind, RuleId, ADDITIVE, MONTHLY_ADDITIVE, MONTHLY_LEVELS,
};
use crate::error::Result;
use crate::frames::Frames;
use crate::schema::Table;

/// The fact key: (`ma_tinh`, `don_vi_id`, `can_bo_id`).
pub type FactKey = (Option<String>, Option<i64>, Option<i64>);

/// A monthly fact key: the fact key and the month (`yyyymm`).
pub type MonthKey = (FactKey, i32);

/// Summed measures per key; every vector has one value per measure of the map.
#[derive(Debug, Clone)]
pub struct Sums<K> {
    measures: Vec<&'static str>,
    rows: PlHashMap<K, Vec<i64>>,
}

impl<K: Eq + Hash + Clone> Sums<K> {
    /// An empty map of `measures`.
    pub fn new(measures: &[&'static str]) -> Self {
        Self {
            measures: measures.to_vec(),
            rows: PlHashMap::default(),
        }
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// `true` without keys.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Adds `sign ×` every row of `df` (measures it lacks or holds null count as 0).
    fn add_rows(&mut self, keys: Vec<K>, df: &DataFrame, sign: i64) -> Result<()> {
        let mut columns: Vec<Option<Vec<Option<i64>>>> = Vec::with_capacity(self.measures.len());
        for m in &self.measures {
            columns.push(match df.column(m) {
                Ok(c) => Some(c.cast(&DataType::Int64)?.i64()?.iter().collect()),
                Err(_) => None,
            });
        }
        let width = self.measures.len();
        for (i, key) in keys.into_iter().enumerate() {
            let row = self.rows.entry(key).or_insert_with(|| vec![0; width]);
            for (slot, column) in row.iter_mut().zip(&columns) {
                if let Some(v) = column.as_ref().and_then(|c| c.get(i).copied().flatten()) {
                    *slot += sign * v;
                }
            }
        }
        Ok(())
    }

    /// Keeps the keys whose values pass `keep`.
    pub fn retain(&mut self, keep: impl Fn(&[i64]) -> bool) {
        self.rows.retain(|_, v| keep(v));
    }

    /// Every (key, values).
    pub fn iter(&self) -> impl Iterator<Item = (&K, &Vec<i64>)> {
        self.rows.iter()
    }
}

fn fact_keys(df: &DataFrame) -> Result<Vec<FactKey>> {
    let tinh = df.column(n::MA_TINH)?.cast(&DataType::String)?;
    let dv = df.column(n::DON_VI_ID)?.cast(&DataType::Int64)?;
    let cb = df.column(n::CAN_BO_ID)?.cast(&DataType::Int64)?;
    Ok(tinh
        .str()?
        .iter()
        .zip(dv.i64()?.iter())
        .zip(cb.i64()?.iter())
        .map(|((t, d), c)| (t.map(str::to_owned), d, c))
        .collect())
}

impl Sums<FactKey> {
    /// Adds `sign ×` the rows of a fact frame ([`super::names::MA_TINH`],
    /// [`super::names::DON_VI_ID`], [`super::names::CAN_BO_ID`] and measures).
    ///
    /// # Errors
    /// [`crate::Error::Polars`] when a key column is missing.
    pub fn add(&mut self, df: &DataFrame, sign: i64) -> Result<()> {
        let keys = fact_keys(df)?;
        self.add_rows(keys, df, sign)
    }
}

impl Sums<MonthKey> {
    /// [`Sums::add`] of a monthly fact frame (keys and [`super::names::MONTH`]).
    ///
    /// # Errors
    /// [`crate::Error::Polars`] when a key column is missing.
    pub fn add_monthly(&mut self, df: &DataFrame, sign: i64) -> Result<()> {
        let months = df.column(n::MONTH)?.cast(&DataType::Int32)?;
        let keys = fact_keys(df)?
            .into_iter()
            .zip(months.i32()?.iter())
            .map(|(k, m)| (k, m.unwrap_or(0)))
            .collect();
        self.add_rows(keys, df, sign)
    }
}

fn texts(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>> {
    let c = df.column(name)?.cast(&DataType::String)?;
    Ok(c.str()?.iter().map(|s| s.map(str::to_owned)).collect())
}

fn ints(df: &DataFrame, name: &str) -> Result<Vec<Option<i64>>> {
    let c = df.column(name)?.cast(&DataType::Int64)?;
    Ok(c.i64()?.iter().collect())
}

fn floats(df: &DataFrame, name: &str) -> Result<Vec<Option<f64>>> {
    let c = df.column(name)?.cast(&DataType::Float64)?;
    Ok(c.f64()?.iter().collect())
}

/// A target pair (`ty_le_viec`, `ty_le_tien`).
type Target = (Option<f64>, Option<f64>);

/// The organisation and reference data the levels read.
struct Org {
    /// `ma_tinh` → (`mien`, `vung`).
    tinh: PlHashMap<String, (Option<String>, Option<String>)>,
    /// `don_vi.id` → (`ma`, `ma_tinh`).
    don_vi: PlHashMap<i64, (Option<String>, Option<String>)>,
    /// `can_bo.id` → `don_vi_id`.
    can_bo: PlHashMap<i64, Option<i64>>,
    /// Targets of the year: by unit, by province (its `cap = 'tinh'` unit), national.
    unit_target: PlHashMap<i64, Target>,
    province_target: PlHashMap<String, Target>,
    national_target: Option<Target>,
}

impl Org {
    fn new(frames: &Frames, year: i32) -> Result<Self> {
        let t = frames.frame(Table::Tinh);
        let mut tinh = PlHashMap::default();
        for ((ma, mien), vung) in texts(t, "ma_tinh")?
            .into_iter()
            .zip(texts(t, "mien")?)
            .zip(texts(t, "vung")?)
        {
            if let Some(ma) = ma {
                tinh.entry(ma).or_insert((mien, vung));
            }
        }
        let dv = frames.frame(Table::DonVi);
        let mut don_vi = PlHashMap::default();
        let mut cap = PlHashMap::default();
        for (((id, ma), ma_tinh), c) in ints(dv, "id")?
            .into_iter()
            .zip(texts(dv, "ma")?)
            .zip(texts(dv, "ma_tinh")?)
            .zip(texts(dv, "cap")?)
        {
            if let Some(id) = id {
                don_vi.entry(id).or_insert((ma, ma_tinh.clone()));
                cap.entry(id).or_insert((c, ma_tinh));
            }
        }
        let cb = frames.frame(Table::CanBo);
        let mut can_bo = PlHashMap::default();
        for (id, dv) in ints(cb, "id")?.into_iter().zip(ints(cb, "don_vi_id")?) {
            if let Some(id) = id {
                can_bo.entry(id).or_insert(dv);
            }
        }
        let ct = frames.frame(Table::ChiTieu);
        let mut unit_target = PlHashMap::default();
        let mut province_target = PlHashMap::default();
        let mut national_target = None;
        for (((y, dv), c), m) in ints(ct, "nam_thong_ke")?
            .into_iter()
            .zip(ints(ct, "don_vi_id")?)
            .zip(floats(ct, "ty_le_viec")?)
            .zip(floats(ct, "ty_le_tien")?)
        {
            let (Some(dv), true) = (dv, y == Some(i64::from(year))) else {
                continue;
            };
            // Inner join with don_vi: a target of an unknown unit counts nowhere.
            let Some((unit_cap, unit_tinh)) = cap.get(&dv) else {
                continue;
            };
            unit_target.entry(dv).or_insert((c, m));
            match unit_cap.as_deref() {
                Some("tinh") => {
                    if let Some(t) = unit_tinh {
                        province_target.entry(t.clone()).or_insert((c, m));
                    }
                }
                Some("cuc") => {
                    national_target.get_or_insert((c, m));
                }
                _ => {}
            }
        }
        Ok(Self {
            tinh,
            don_vi,
            can_bo,
            unit_target,
            province_target,
            national_target,
        })
    }

    /// `coalesce(unit, province, national)`, per column.
    fn target(&self, don_vi_id: Option<i64>, ma_tinh: Option<&str>) -> Target {
        let unit = don_vi_id.and_then(|d| self.unit_target.get(&d));
        let province = ma_tinh.and_then(|t| self.province_target.get(t));
        let national = self.national_target.as_ref();
        let pick = |f: fn(&Target) -> Option<f64>| {
            unit.and_then(f)
                .or_else(|| province.and_then(f))
                .or_else(|| national.and_then(f))
        };
        (pick(|t| t.0), pick(|t| t.1))
    }
}

/// Where a fact row goes at `level`: the group id (reported as [`Place::key`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Group<'a> {
    Text(&'a str),
    Id(i64),
}

/// A row of a level: its key and the columns [`super::roll_up`] reports with it.
#[derive(Debug, Clone)]
struct Place {
    key: String,
    ma_tinh: Option<String>,
    don_vi_id: Option<i64>,
    can_bo_id: Option<i64>,
}

impl Org {
    fn group<'a>(&'a self, level: Level, key: &'a FactKey) -> Option<Group<'a>> {
        let (ma_tinh, don_vi_id, can_bo_id) = key;
        match level {
            Level::Country => Some(Group::Text(super::COUNTRY_KEY)),
            Level::Region(kind) => {
                let (mien, vung) = self.tinh.get(ma_tinh.as_deref()?)?;
                let region = match kind {
                    RegionKind::Mien => mien,
                    RegionKind::Vung => vung,
                };
                region.as_deref().map(Group::Text)
            }
            Level::Province => ma_tinh.as_deref().map(Group::Text),
            Level::Office => don_vi_id.map(Group::Id),
            Level::Officer => can_bo_id.map(Group::Id),
        }
    }

    fn place(&self, level: Level, group: &Group) -> Place {
        let text = |g: &Group| match g {
            Group::Text(s) => (*s).to_owned(),
            Group::Id(i) => i.to_string(),
        };
        let id = |g: &Group| match g {
            Group::Id(i) => Some(*i),
            Group::Text(_) => None,
        };
        match level {
            Level::Country | Level::Region(_) => Place {
                key: text(group),
                ma_tinh: None,
                don_vi_id: None,
                can_bo_id: None,
            },
            Level::Province => Place {
                key: text(group),
                ma_tinh: Some(text(group)),
                don_vi_id: None,
                can_bo_id: None,
            },
            Level::Office => {
                let unit = id(group).and_then(|d| self.don_vi.get(&d));
                Place {
                    key: unit
                        .and_then(|(ma, _)| ma.clone())
                        .unwrap_or_else(|| text(group)),
                    ma_tinh: unit.and_then(|(_, t)| t.clone()),
                    don_vi_id: id(group),
                    can_bo_id: None,
                }
            }
            Level::Officer => {
                let don_vi_id = id(group).and_then(|c| self.can_bo.get(&c).copied().flatten());
                let ma_tinh = don_vi_id
                    .and_then(|d| self.don_vi.get(&d))
                    .and_then(|(_, t)| t.clone());
                Place {
                    key: text(group),
                    ma_tinh,
                    don_vi_id,
                    can_bo_id: id(group),
                }
            }
        }
    }
}

/// Polars' `round(2)` half away from zero of an `f64`.
fn round2(v: f64) -> f64 {
    let r = (v * 100.0).round() / 100.0;
    if r.is_finite() {
        r
    } else {
        v
    }
}

// Sums of counts and money stay far below 2^53; `as f64` is what Polars' cast does.
#[allow(clippy::cast_precision_loss)]
fn as_f64(v: i64) -> f64 {
    v as f64
}

/// [`super::pct`]: `round(100·n / d, 2)`, `None` when `d ≤ 0`.
fn pct(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator > 0).then(|| round2(as_f64(numerator) * 100.0 / as_f64(denominator)))
}

/// [`super::ratio`]: `round(n / d, 2)`, `None` when `d ≤ 0`.
fn ratio(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator > 0).then(|| round2(as_f64(numerator) / as_f64(denominator)))
}

/// `a ≥ b` with nulls.
fn at_least(a: Option<f64>, b: Option<f64>) -> Option<bool> {
    Some(a? >= b?)
}

/// Three-valued `AND` (Kleene), as Polars evaluates it.
fn and3(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// `a == b`, at compile time.
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The position of an additive measure in [`level_measures`] (evaluated at compile time).
const fn ix(name: &str) -> usize {
    let mut i = 0;
    while i < ADDITIVE.len() {
        if same(ADDITIVE[i], name) {
            return i;
        }
        i += 1;
    }
    panic!("not an additive measure")
}

/// One level of [`super::kpi_table`] from the fact maps, sorted by key.
fn level_rows(org: &Org, level: Level, facts: &[&Sums<FactKey>]) -> Vec<KpiRow> {
    let measures = level_measures();
    let mut groups: PlHashMap<Group, Vec<i64>> = PlHashMap::default();
    for sums in facts {
        let index: Vec<Option<usize>> = measures
            .iter()
            .map(|m| sums.measures.iter().position(|x| x == m))
            .collect();
        for (key, values) in sums.iter() {
            let Some(group) = org.group(level, key) else {
                continue;
            };
            let total = groups
                .entry(group)
                .or_insert_with(|| vec![0; measures.len()]);
            for (slot, i) in total.iter_mut().zip(&index) {
                if let Some(v) = i.and_then(|i| values.get(i)) {
                    *slot += v;
                }
            }
        }
    }
    let mut rows: Vec<KpiRow> = groups
        .into_iter()
        .map(|(group, total)| {
            let place = org.place(level, &group);
            let value = |i: usize| total.get(i).copied().unwrap_or(0);
            macro_rules! v {
                ($name:expr) => {
                    value(const { ix($name) })
                };
            }
            macro_rules! c {
                ($name:expr) => {
                    count(v!($name))
                };
            }
            let (target_c, target_m) = org.target(place.don_vi_id, place.ma_tinh.as_deref());
            let done_rate_cases = pct(v!(n::CASES_DONE), v!(n::CASES_WITH_CONDITIONS));
            let done_rate_money = pct(v!(n::MONEY_DONE), v!(n::MONEY_WITH_CONDITIONS));
            KpiRow {
                level,
                key: place.key,
                ma_tinh: place.ma_tinh,
                don_vi_id: place.don_vi_id,
                can_bo_id: place.can_bo_id,
                cases_to_enforce: c!(n::CASES_TO_ENFORCE),
                cases_with_conditions: c!(n::CASES_WITH_CONDITIONS),
                cases_without_conditions: c!(n::CASES_WITHOUT_CONDITIONS),
                cases_done: c!(n::CASES_DONE),
                cases_new: c!(n::CASES_NEW),
                done_rate_cases,
                money_to_enforce: v!(n::MONEY_TO_ENFORCE),
                money_with_conditions: v!(n::MONEY_WITH_CONDITIONS),
                money_done: v!(n::MONEY_DONE),
                done_rate_money,
                backlog: c!(n::BACKLOG),
                backlog_with_conditions: c!(n::BACKLOG_WITH_CONDITIONS),
                carried_in: c!(n::CARRIED_IN),
                carried_over: c!(n::CARRIED_OVER),
                carried_over_with_conditions: c!(n::CARRIED_OVER_WITH_CONDITIONS),
                target_rate_cases: target_c,
                target_rate_money: target_m,
                meets_target: and3(
                    at_least(done_rate_cases, target_c),
                    at_least(done_rate_money, target_m),
                ),
                overdue_total: c!(n::OVERDUE_TOTAL),
                overdue: RuleId::ALL
                    .iter()
                    .zip(ADDITIVE.len()..)
                    .filter_map(|(r, i)| {
                        let k = count(value(i));
                        (k > 0).then_some((*r, k))
                    })
                    .collect(),
                officers: c!(n::OFFICERS),
                done_per_officer: ratio(v!(n::CASES_DONE), v!(n::OFFICERS)),
                avg_days_to_done: ratio(v!(n::DAYS_TO_DONE_SUM), v!(n::CASES_DONE)),
                receipts_today: c!(n::RECEIPTS_TODAY),
                receipts_today_amount: v!(n::RECEIPTS_TODAY_AMOUNT),
                receipts_count: c!(n::RECEIPTS_COUNT),
                receipts_amount: v!(n::RECEIPTS_AMOUNT),
                receipts_email: c!(n::RECEIPTS_EMAIL),
                receipts_sms: c!(n::RECEIPTS_SMS),
                receipts_paper: c!(n::RECEIPTS_PAPER),
                receipts_electronic_rate: pct(v!(n::RECEIPTS_ELECTRONIC), v!(n::RECEIPTS_COUNT)),
                receipts_signed_rate: pct(v!(n::RECEIPTS_SIGNED), v!(n::RECEIPTS_COUNT)),
                complaints_open: c!(n::COMPLAINTS_OPEN),
                complaints_received: c!(n::COMPLAINTS_RECEIVED),
                complaints_resolved: c!(n::COMPLAINTS_RESOLVED),
                complaints_resolved_on_time: c!(n::COMPLAINTS_RESOLVED_ON_TIME),
                complaints_on_time_rate: pct(
                    v!(n::COMPLAINTS_RESOLVED_ON_TIME),
                    v!(n::COMPLAINTS_RESOLVED),
                ),
                decisions: c!(n::DECISIONS),
                decisions_signed: c!(n::DECISIONS_SIGNED),
                decisions_signed_rate: pct(v!(n::DECISIONS_SIGNED), v!(n::DECISIONS)),
            }
        })
        .collect();
    rows.sort_by(|a, b| a.key.cmp(&b.key));
    rows
}

/// The months of `p` up to its report date, in order, with their `lich.thang` label
/// ([`super::months_of`]): the grid of the monthly series.
///
/// # Errors
/// [`crate::Error::Polars`] when `lich` lacks a column.
pub fn months(frames: &Frames, p: &Period) -> Result<Vec<(i32, String)>> {
    let df = frames
        .lazy(Table::Lich)
        .filter(super::between("ngay", p.start, p.report))
        .select([month_of(col("ngay")), col("thang").alias(n::THANG)])
        .collect()?;
    let mut out: BTreeMap<i32, String> = BTreeMap::new();
    let month = df.column(n::MONTH)?.cast(&DataType::Int32)?;
    for (m, t) in month.i32()?.iter().zip(texts(&df, n::THANG)?) {
        if let (Some(m), Some(t)) = (m, t) {
            out.entry(m).or_insert(t);
        }
    }
    Ok(out.into_iter().collect())
}

/// One level of [`super::monthly_table`] from the monthly fact maps.
fn monthly_level(
    org: &Org,
    level: Level,
    year: i32,
    grid: &[(i32, String)],
    facts: &[&Sums<MonthKey>],
) -> Vec<MonthlyRow> {
    let width = MONTHLY_ADDITIVE.len();
    let mut groups: PlHashMap<Group, BTreeMap<i32, Vec<i64>>> = PlHashMap::default();
    for sums in facts {
        let index: Vec<Option<usize>> = MONTHLY_ADDITIVE
            .iter()
            .map(|m| sums.measures.iter().position(|x| x == m))
            .collect();
        for ((key, month), values) in sums.iter() {
            let Some(group) = org.group(level, key) else {
                continue;
            };
            let total = groups
                .entry(group)
                .or_default()
                .entry(*month)
                .or_insert_with(|| vec![0; width]);
            for (slot, i) in total.iter_mut().zip(&index) {
                if let Some(v) = i.and_then(|i| values.get(i)) {
                    *slot += v;
                }
            }
        }
    }
    let mut places: Vec<(Place, BTreeMap<i32, Vec<i64>>)> = groups
        .into_iter()
        .map(|(g, months)| (org.place(level, &g), months))
        .collect();
    places.sort_by(|a, b| a.0.key.cmp(&b.0.key));
    let at = |name: &str| MONTHLY_ADDITIVE.iter().position(|m| *m == name);
    let (i_new, i_done, i_cwc, i_rc, i_ra, i_recv, i_res) = (
        at(n::CASES_NEW),
        at(n::CASES_DONE),
        at(n::CASES_WITH_CONDITIONS),
        at(n::RECEIPTS_COUNT),
        at(n::RECEIPTS_AMOUNT),
        at(n::COMPLAINTS_RECEIVED),
        at(n::COMPLAINTS_RESOLVED),
    );
    let zero = vec![0; width];
    let mut out = Vec::with_capacity(places.len() * grid.len());
    for (place, values) in places {
        let (mut done_cum, mut cwc_cum) = (0i64, 0i64);
        for (month, thang) in grid {
            let v = values.get(month).unwrap_or(&zero);
            let get = |i: Option<usize>| i.and_then(|i| v.get(i).copied()).unwrap_or(0);
            done_cum += get(i_done);
            cwc_cum += get(i_cwc);
            out.push(MonthlyRow {
                level,
                key: place.key.clone(),
                ma_tinh: place.ma_tinh.clone(),
                don_vi_id: place.don_vi_id,
                year,
                thang: thang.clone(),
                cases_new: count(get(i_new)),
                cases_done: count(get(i_done)),
                cases_with_conditions: count(get(i_cwc)),
                cases_done_cumulative: count(done_cum),
                cases_with_conditions_cumulative: count(cwc_cum),
                done_rate_cases_cumulative: pct(done_cum, cwc_cum),
                receipts_count: count(get(i_rc)),
                receipts_amount: get(i_ra),
                complaints_received: count(get(i_recv)),
                complaints_resolved: count(get(i_res)),
            });
        }
    }
    out
}

/// The whole snapshot from fact maps: `facts` (summed together) for the levels,
/// `monthly_now` / `monthly_prev` for the series of this and the previous year on their month
/// grids (`grids`, from [`months`]).
///
/// # Errors
/// [`crate::Error::Polars`] when an organisation table lacks a column.
pub fn snapshot(
    frames: &Frames,
    period: Period,
    previous: Period,
    facts: &[&Sums<FactKey>],
    monthly_now: &[&Sums<MonthKey>],
    monthly_prev: &[&Sums<MonthKey>],
    grids: &[Vec<(i32, String)>; 2],
) -> Result<KpiSnapshot> {
    let org = Org::new(frames, period.year)?;
    // The levels and the monthly series are independent: one thread each.
    let (tables, monthly) = std::thread::scope(|scope| {
        let series = scope.spawn(|| {
            let mut monthly = Vec::new();
            for ((p, sums), grid) in [(&period, monthly_now), (&previous, monthly_prev)]
                .into_iter()
                .zip(grids)
            {
                for level in MONTHLY_LEVELS {
                    monthly.extend(monthly_level(&org, level, p.year, grid, sums));
                }
            }
            monthly
        });
        let tables: Vec<Vec<KpiRow>> = Level::ALL
            .iter()
            .map(|level| level_rows(&org, *level, facts))
            .collect();
        // A panic of the series thread is re-raised here.
        let monthly = series
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (tables, monthly)
    });
    let mut tables = tables;
    let mut take = || {
        if tables.is_empty() {
            Vec::new()
        } else {
            tables.remove(0)
        }
    };
    let national = take()
        .into_iter()
        .next()
        .unwrap_or_else(|| empty_row(Level::Country, super::COUNTRY_KEY));
    let (by_mien, by_vung, by_province, by_office, by_officer) =
        (take(), take(), take(), take(), take());
    let overdue = overdue_counts(&national, &by_province);
    Ok(KpiSnapshot {
        as_of: period.as_of,
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
