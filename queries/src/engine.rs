//! The incremental KPI engine: keeps the big-table facts summed per (province, office,
//! officer) and updates them per micro-batch from the changed rows only, so a batch costs in
//! proportion to its size instead of to the 10 M rows of the store.
//!
//! Why it is exact: every fact of the big tables is a *sum over rows* —
//! - the case side ([`kpi::case_side_facts`]: case facts, decision facts and the case rules
//!   QH01–QH11, QH16) is a sum over cases of what one case with its own decisions, measures
//!   and receipts gives;
//! - receipt facts ([`kpi::receipt_facts`]) and the monthly case and receipt facts are sums
//!   over single rows.
//!
//! A batch touches a set V of cases (the changed cases and the cases of changed decisions,
//! measures and receipts, old and new `viec_id`) and a set R of receipts. The engine takes the
//! rows of V (and R) out of the frames *before* the batch — by index lookups
//! ([`Frames::positions`]: cases by `id`, decisions, measures and receipts by `viec_id`), not
//! by scanning the tables — computes those facts on them with the Polars plans of
//! [`crate::kpi`] (the old share), applies the batch (an in-place scatter of the changed rows,
//! see [`Frames::upsert`]), computes them again (the new share) and replaces the old share with
//! the new one in its cached sums: `facts' = facts − old share + new share`, all in `i64`, so
//! the result equals a from-scratch computation bit for bit. A group is kept while it still
//! sums at least one source row ([`kpi::names::ROWS`]).
//!
//! The small tables (officers, petitions, tasks: a few thousand rows) give the small facts,
//! recomputed whole with Polars when a batch touches one of them and cached otherwise. The
//! levels, targets, rates and monthly series are then summed from the cached facts in plain
//! Rust ([`kpi::rollup`], stage 2), which gives what [`kpi::compute_snapshot`] gives. A change
//! of `lich` (the working-day calendar every case rule reads) rebuilds everything.
//!
//! The same old/new shares give the alerts ([`crate::alerts`]): flags that a case did not
//! have before the batch, receipts and complaints that the batch inserted.
//!
//! Tests: `incremental_equals_from_scratch_after_random_batches` below applies random batches
//! of inserts and updates to every big table and compares the snapshot with
//! [`kpi::compute_snapshot`] (the all-Polars path) on the same frames after each one.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use polars::prelude::*;

use crate::alerts::{self, Alert, AlertConfig, FlagRow};
use crate::error::{Error, Result};
use crate::frames::{build_frame, ColumnData, Frames};
use crate::kpi::rollup::{self, FactKey, MonthKey, Sums};
use crate::kpi::{
    self, collect_all, names as n, KpiSnapshot, Period, RuleId, RuleParams, CASE_RULES,
    MONTHLY_ADDITIVE, OTHER_RULES,
};
use crate::schema::Table;

/// Every summed column of the big facts.
fn fact_measures() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = kpi::ADDITIVE.to_vec();
    all.extend(RuleId::ALL.iter().map(|r| r.column()));
    all.push(n::ROWS);
    all
}

/// A monthly group is kept while it counts anything (every monthly source row counts 1).
fn monthly_keep(values: &[i64]) -> bool {
    MONTHLY_ADDITIVE
        .iter()
        .zip(values)
        .any(|(m, v)| *m != n::RECEIPTS_AMOUNT && *v != 0)
}

fn id_list(ids: &BTreeSet<i64>) -> Expr {
    let s = Series::new("ids".into(), ids.iter().copied().collect::<Vec<i64>>());
    lit(s).implode(false)
}

fn in_ids(column: &str, ids: &BTreeSet<i64>) -> Expr {
    col(column).is_in(id_list(ids), false).fill_null(lit(false))
}

fn ints(df: &DataFrame, column: &str) -> Result<Vec<Option<i64>>> {
    let c = df.column(column)?.cast(&DataType::Int64)?;
    Ok(c.i64()?.iter().collect())
}

/// The tables whose rows the case side and receipts read; a batch of them is applied
/// incrementally.
const BIG: [Table; 4] = [
    Table::ViecThiHanh,
    Table::QuyetDinh,
    Table::BienPhapCuongChe,
    Table::BienLai,
];

/// The rows of a case (`viec_id`) in the big tables.
const CHILDREN: [Table; 3] = [Table::QuyetDinh, Table::BienPhapCuongChe, Table::BienLai];

/// The tables the small facts read (a batch touching one recomputes them).
const SMALL: [Table; 4] = [Table::CanBo, Table::DonVi, Table::DonThu, Table::NhiemVu];

/// What one micro-batch produced.
#[derive(Debug)]
pub struct Update {
    pub snapshot: KpiSnapshot,
    /// New alerts of this batch (none on a rebuild).
    pub alerts: Vec<Alert>,
    /// Whether the batch was applied incrementally (else everything was rebuilt).
    pub incremental: bool,
    /// Time spent (upserts included).
    pub elapsed: Duration,
    /// Where the time went, in order: `lookup` (the old rows of the touched cases), `upsert`
    /// (the batch into the frames), `shares` (old and new facts, flags and alerts), `small`
    /// (the small facts, when a small table changed) and `levels` (stage 2).
    pub phases: Vec<(&'static str, Duration)>,
}

/// The facts of the small tables and the flags of their rules.
struct Small {
    facts: Sums<FactKey>,
    /// This and the previous statistical year.
    monthly: [Sums<MonthKey>; 2],
    flags: HashSet<(RuleId, i64)>,
}

/// The incremental engine; see the module doc.
pub struct KpiEngine {
    as_of: NaiveDate,
    period: Period,
    previous: Period,
    rules: RuleParams,
    config: AlertConfig,
    /// Summed case-side and receipt facts per (ma_tinh, don_vi_id, can_bo_id).
    big: Sums<FactKey>,
    /// Summed monthly case and receipt facts of this and the previous statistical year.
    monthly_big: [Sums<MonthKey>; 2],
    small: Small,
    /// The month grids of this and the previous year (from `lich`, which rebuilds).
    grids: [Vec<(i32, String)>; 2],
}

fn next_frame(out: &mut impl Iterator<Item = DataFrame>) -> Result<DataFrame> {
    out.next()
        .ok_or_else(|| Error::DateRange("missing result".into()))
}

impl KpiEngine {
    /// Computes everything from scratch and returns the engine with its first snapshot.
    ///
    /// # Errors
    /// As [`kpi::compute_snapshot`].
    pub fn new(
        frames: &Frames,
        as_of: NaiveDate,
        config: AlertConfig,
    ) -> Result<(Self, KpiSnapshot)> {
        let period = Period::containing(as_of)?;
        let previous = period.previous()?;
        let rules = RuleParams::new(frames, as_of)?;
        let mut engine = KpiEngine {
            as_of,
            period,
            previous,
            rules,
            config,
            big: Sums::new(&fact_measures()),
            monthly_big: [Sums::new(&MONTHLY_ADDITIVE), Sums::new(&MONTHLY_ADDITIVE)],
            small: Small {
                facts: Sums::new(&fact_measures()),
                monthly: [Sums::new(&MONTHLY_ADDITIVE), Sums::new(&MONTHLY_ADDITIVE)],
                flags: HashSet::new(),
            },
            grids: [Vec::new(), Vec::new()],
        };
        let snapshot = engine.rebuild(frames)?;
        Ok((engine, snapshot))
    }

    /// Builds the row indexes a batch uses — every table keyed by `id` (an upsert finds the
    /// rows it replaces by `id`), and the decisions, measures and receipts by `viec_id` — so
    /// that the first batch does not pay for them. Optional: a batch builds what is missing.
    ///
    /// # Errors
    /// [`Error::Polars`] if a key column cannot be read.
    pub fn prepare(frames: &mut Frames) -> Result<()> {
        let none = BTreeSet::new();
        for table in Table::ALL {
            if crate::frames::primary_key(table) == ["id"] {
                frames.positions(table, "id", &none)?;
            }
        }
        for table in CHILDREN {
            frames.positions(table, "viec_id", &none)?;
        }
        Ok(())
    }

    /// The as-of date of the snapshots.
    pub const fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// The case-side, receipt and monthly fact plans of `frames` (receipts limited to
    /// `receipts` when given; the case rules' flags computed here unless given): the big
    /// facts, then the monthly facts of both years.
    fn big_plans(
        &self,
        frames: &Frames,
        receipts: Option<&BTreeSet<i64>>,
        flags: Option<LazyFrame>,
    ) -> Result<Vec<LazyFrame>> {
        let (p, prev, r) = (&self.period, &self.previous, &self.rules);
        let bien_lai = match receipts {
            Some(ids) => frames.lazy(Table::BienLai).filter(in_ids("id", ids)),
            None => frames.lazy(Table::BienLai),
        };
        let flags = match flags {
            Some(flags) => flags,
            None => kpi::rule_flags(frames, &CASE_RULES, r)?,
        };
        let cases = frames.lazy(Table::ViecThiHanh);
        let monthly = |p: &Period| -> Result<LazyFrame> {
            Ok(concat_lf_diagonal(
                [
                    kpi::monthly_case_facts(cases.clone(), p)?,
                    kpi::monthly_receipt_facts(bien_lai.clone(), p),
                ],
                UnionArgs::default(),
            )?)
        };
        Ok(vec![
            concat_lf_diagonal(
                [
                    kpi::case_side_facts_with(frames, p, prev, flags)?,
                    kpi::receipt_facts(bien_lai.clone(), p),
                ],
                UnionArgs::default(),
            )?,
            monthly(p)?,
            monthly(prev)?,
        ])
    }

    /// Recomputes the cached facts from every row of `frames`, and the snapshot.
    ///
    /// # Errors
    /// As [`kpi::compute_snapshot`].
    pub fn rebuild(&mut self, frames: &Frames) -> Result<KpiSnapshot> {
        self.rules = RuleParams::new(frames, self.as_of)?;
        self.grids = [
            rollup::months(frames, &self.period)?,
            rollup::months(frames, &self.previous)?,
        ];
        let mut out = collect_all(self.big_plans(frames, None, None)?)?.into_iter();
        let mut big: Sums<FactKey> = Sums::new(&fact_measures());
        big.add(&next_frame(&mut out)?, 1)?;
        let mut monthly_big: [Sums<MonthKey>; 2] =
            [Sums::new(&MONTHLY_ADDITIVE), Sums::new(&MONTHLY_ADDITIVE)];
        for sums in &mut monthly_big {
            sums.add_monthly(&next_frame(&mut out)?, 1)?;
        }
        self.big = big;
        self.monthly_big = monthly_big;
        self.small = self.small_part(frames)?;
        self.snapshot(frames, &self.small)
    }

    /// Every level, rate and series from the cached big facts, the small tables re-read: what
    /// a new snapshot costs when the big tables did not change.
    ///
    /// # Errors
    /// As [`kpi::compute_snapshot`].
    pub fn recompute(&self, frames: &Frames) -> Result<KpiSnapshot> {
        let small = self.small_part(frames)?;
        self.snapshot(frames, &small)
    }

    /// The facts and flags of the small tables (Polars over a few thousand rows).
    fn small_part(&self, frames: &Frames) -> Result<Small> {
        let (p, prev, r) = (&self.period, &self.previous, &self.rules);
        let petitions = frames.lazy(Table::DonThu);
        let plans = vec![
            kpi::small_facts(frames, p, r)?,
            kpi::monthly_petition_facts(petitions.clone(), p)?,
            kpi::monthly_petition_facts(petitions, prev)?,
            kpi::rule_flags(frames, &OTHER_RULES, r)?,
        ];
        let mut out = collect_all(plans)?.into_iter();
        let mut facts: Sums<FactKey> = Sums::new(&fact_measures());
        facts.add(&next_frame(&mut out)?, 1)?;
        let mut monthly: [Sums<MonthKey>; 2] =
            [Sums::new(&MONTHLY_ADDITIVE), Sums::new(&MONTHLY_ADDITIVE)];
        for sums in &mut monthly {
            sums.add_monthly(&next_frame(&mut out)?, 1)?;
        }
        let flags = alerts::flag_rows(&next_frame(&mut out)?)?
            .into_iter()
            .map(|f| (f.rule, f.id))
            .collect();
        Ok(Small {
            facts,
            monthly,
            flags,
        })
    }

    /// Stage 2: the levels, targets, rates and monthly series from the cached facts.
    fn snapshot(&self, frames: &Frames, small: &Small) -> Result<KpiSnapshot> {
        let [m_now, m_prev] = &self.monthly_big;
        let [s_now, s_prev] = &small.monthly;
        rollup::snapshot(
            frames,
            self.period,
            self.previous,
            &[&self.big, &small.facts],
            &[m_now, s_now],
            &[m_prev, s_prev],
            &self.grids,
        )
    }

    /// The rows of the cases `cases_v` and of their decisions, measures and receipts, plus the
    /// children in `child_ids`; grows `cases_v` by the (old) cases of those children until it
    /// is closed. Index lookups, no scan.
    fn rows_of_cases(
        frames: &mut Frames,
        cases_v: &mut BTreeSet<i64>,
        child_ids: &HashMap<Table, BTreeSet<i64>>,
    ) -> Result<Vec<(Table, DataFrame)>> {
        loop {
            let rows = frames.positions(Table::ViecThiHanh, "id", cases_v)?;
            let mut got = vec![(
                Table::ViecThiHanh,
                frames.take_rows(Table::ViecThiHanh, rows)?,
            )];
            let mut grown = false;
            for table in CHILDREN {
                let mut rows = frames.positions(table, "viec_id", cases_v)?;
                if let Some(own) = child_ids.get(&table) {
                    rows.extend(frames.positions(table, "id", own)?);
                    rows.sort_unstable();
                    rows.dedup();
                }
                let df = frames.take_rows(table, rows)?;
                for v in ints(&df, "viec_id")?.into_iter().flatten() {
                    grown |= cases_v.insert(v);
                }
                got.push((table, df));
            }
            if !grown {
                return Ok(got);
            }
        }
    }

    /// Applies upserts (new or changed rows, per table, as [`Frames::upsert`] takes them) to
    /// `frames` and returns the new snapshot and the alerts of the batch.
    ///
    /// # Errors
    /// [`Error::Schema`] when a batch does not fit its table (nothing is applied then);
    /// [`Error::Polars`] if a plan fails — the caller should then reload and
    /// [`KpiEngine::rebuild`], as the frames may hold part of the batch.
    pub fn apply(
        &mut self,
        frames: &mut Frames,
        changes: Vec<(Table, Vec<ColumnData>)>,
        at: &str,
    ) -> Result<Update> {
        let started = Instant::now();
        let mut batches: Vec<(Table, DataFrame)> = Vec::with_capacity(changes.len());
        for (table, rows) in changes {
            let df = build_frame(table, rows)?;
            if df.height() > 0 {
                batches.push((table, df));
            }
        }
        if batches.iter().any(|(t, _)| *t == Table::Lich) {
            for (table, df) in batches {
                frames.upsert_frame(table, df)?;
            }
            let snapshot = self.rebuild(frames)?;
            return Ok(Update {
                snapshot,
                alerts: Vec::new(),
                incremental: false,
                elapsed: started.elapsed(),
                phases: Vec::new(),
            });
        }
        let batch = |t: Table| batches.iter().find(|(b, _)| *b == t).map(|(_, df)| df);

        // V0: changed cases and the (new) cases of changed children; ids of changed children.
        let mut cases_v: BTreeSet<i64> = BTreeSet::new();
        let mut child_ids: HashMap<Table, BTreeSet<i64>> = HashMap::new();
        for table in BIG {
            let Some(df) = batch(table) else { continue };
            let ids: BTreeSet<i64> = ints(df, "id")?.into_iter().flatten().collect();
            if table == Table::ViecThiHanh {
                cases_v.extend(ids);
            } else {
                cases_v.extend(ints(df, "viec_id")?.into_iter().flatten());
                child_ids.insert(table, ids);
            }
        }
        let touches_big = batches.iter().any(|(t, _)| BIG.contains(t));
        let mut restricted_old = Frames::new();
        let mut old_children: HashMap<Table, DataFrame> = HashMap::new();
        if touches_big {
            // The old rows: cases of V, children of V or changed; a child that moved from a
            // case outside V adds that case (and its children).
            for (t, df) in Self::rows_of_cases(frames, &mut cases_v, &child_ids)? {
                restricted_old.set_frame(t, df.clone())?;
                old_children.insert(t, df);
            }
            for t in [Table::Lich, Table::DonVi, Table::CanBo, Table::Tinh] {
                restricted_old.set_frame(t, frames.frame(t).clone())?;
            }
        }
        // Old petitions of the batch (for the new-complaint alerts).
        let old_petitions = match batch(Table::DonThu) {
            Some(df) => {
                let ids: BTreeSet<i64> = ints(df, "id")?.into_iter().flatten().collect();
                let rows = frames.positions(Table::DonThu, "id", &ids)?;
                frames.take_rows(Table::DonThu, rows)?
            }
            None => DataFrame::empty(),
        };

        let mut phases = Vec::with_capacity(5);
        let mut lap = Instant::now();
        let mut phase = |name: &'static str, phases: &mut Vec<(&'static str, Duration)>| {
            phases.push((name, lap.elapsed()));
            lap = Instant::now();
        };
        phases.push(("lookup", started.elapsed()));

        // Apply the batch to the store frames and to the restricted copy.
        let mut restricted_new = restricted_old.clone();
        for (table, df) in &batches {
            frames.upsert_frame(*table, df.clone())?;
            if BIG.contains(table) {
                restricted_new.upsert_frame(*table, df.clone())?;
            }
        }

        phase("upsert", &mut phases);

        let mut alerts_out = Vec::new();
        if touches_big {
            let receipt_ids = child_ids.get(&Table::BienLai).cloned().unwrap_or_default();
            let r = &self.rules;
            // The case rules' flags once per side: for the facts and for the alerts.
            let mut flags = collect_all(vec![
                kpi::rule_flags(&restricted_old, &CASE_RULES, r)?,
                kpi::rule_flags(&restricted_new, &CASE_RULES, r)?,
            ])?
            .into_iter();
            let (old_flags, new_flags) = (next_frame(&mut flags)?, next_frame(&mut flags)?);
            let mut plans = self.big_plans(
                &restricted_old,
                Some(&receipt_ids),
                Some(old_flags.clone().lazy()),
            )?;
            plans.extend(self.big_plans(
                &restricted_new,
                Some(&receipt_ids),
                Some(new_flags.clone().lazy()),
            )?);
            let mut out = collect_all(plans)?.into_iter();
            for sign in [-1, 1] {
                self.big.add(&next_frame(&mut out)?, sign)?;
                for sums in &mut self.monthly_big {
                    sums.add_monthly(&next_frame(&mut out)?, sign)?;
                }
            }
            let rows_at = fact_measures()
                .iter()
                .position(|m| *m == n::ROWS)
                .unwrap_or(0);
            self.big
                .retain(|v| v.get(rows_at).copied().unwrap_or(0) > 0);
            for sums in &mut self.monthly_big {
                sums.retain(monthly_keep);
            }
            let names = alerts::Names::new(frames, restricted_new.frame(Table::ViecThiHanh))?;
            let old_flags: Vec<FlagRow> = alerts::flag_rows(&old_flags)?;
            let new_flags: Vec<FlagRow> = alerts::flag_rows(&new_flags)?;
            for flag in alerts::new_flags(&old_flags, &new_flags) {
                alerts_out.push(alerts::breach_alert(&flag, &names, at));
            }
            if let (Some(old), Some(new)) =
                (old_children.get(&Table::BienLai), batch(Table::BienLai))
            {
                alerts_out.extend(alerts::large_payments(
                    old,
                    new,
                    self.config.large_payment_dong,
                    &names,
                    at,
                )?);
            }
        }
        phase("shares", &mut phases);
        if batches.iter().any(|(t, _)| SMALL.contains(t)) {
            let small = self.small_part(frames)?;
            if small.flags != self.small.flags {
                let names = alerts::Names::new(frames, &DataFrame::empty())?;
                let mut fresh: Vec<FlagRow> = small
                    .flags
                    .difference(&self.small.flags)
                    .map(|(rule, id)| FlagRow {
                        rule: *rule,
                        id: *id,
                        viec_id: None,
                        ma_tinh: None,
                        don_vi_id: None,
                    })
                    .collect();
                fresh.sort_by_key(|f| (f.rule, f.id));
                alerts_out.extend(alerts::small_breach_alerts(frames, &fresh, &names, at)?);
            }
            self.small = small;
        }
        if let Some(new) = batch(Table::DonThu) {
            let names = alerts::Names::new(frames, &DataFrame::empty())?;
            alerts_out.extend(alerts::new_complaints(&old_petitions, new, &names, at)?);
        }
        phase("small", &mut phases);
        let snapshot = self.snapshot(frames, &self.small)?;
        phase("levels", &mut phases);
        Ok(Update {
            snapshot,
            alerts: alerts_out,
            incremental: true,
            elapsed: started.elapsed(),
            phases,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::AlertKind;
    use crate::kpi::tests::{
        d, kpi_fixture, table_columns, Case, Decision, Fixture, Measure, Petition, Receipt, AS_OF,
    };

    /// A small deterministic generator (xorshift64*).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            usize::try_from(self.next() % (n as u64)).unwrap_or(0)
        }
        fn pick<T: Copy>(&mut self, items: &[T]) -> T {
            items[self.below(items.len())]
        }
        fn chance(&mut self, percent: u64) -> bool {
            self.next() % 100 < percent
        }
    }

    const DATES: [&str; 27] = [
        "2024-06-03",
        "2024-11-15",
        "2025-03-10",
        "2025-06-02",
        "2025-08-20",
        "2025-09-30",
        "2025-10-01",
        "2025-10-15",
        "2025-11-20",
        "2025-12-12",
        "2026-01-05",
        "2026-02-16",
        "2026-03-20",
        "2026-05-11",
        "2026-06-01",
        "2026-07-15",
        "2026-08-25",
        "2026-09-30",
        "2026-10-01",
        "2026-10-05",
        "2026-10-20",
        "2026-10-28",
        "2026-11-02",
        "2026-11-10",
        "2026-11-16",
        "2026-11-19",
        "2026-11-20",
    ];
    const STATES: [&str; 8] = [
        "cho_ra_quyet_dinh",
        "dang_thi_hanh",
        "chua_co_dieu_kien",
        "hoan",
        "tam_dinh_chi",
        "xong",
        "dinh_chi",
        "uy_thac",
    ];
    /// (don_vi_id, ma_tinh, officers) of the fixture's units.
    const UNITS: [(i64, &str, &[Option<i64>]); 3] = [
        (3, "01", &[Some(10), Some(11), Some(12), None]),
        (5, "79", &[Some(20), None]),
        (4, "79", &[None, Some(20)]),
    ];

    fn random_case(rng: &mut Rng, id: i64) -> Case {
        let (unit, tinh, officers) = rng.pick(&UNITS);
        let state = rng.pick(&STATES);
        let thu_ly = rng.pick(&DATES);
        let later = |rng: &mut Rng| {
            let d = rng.pick(&DATES);
            (d >= thu_ly).then_some(d)
        };
        let phai = i64::try_from(rng.below(5)).unwrap_or(0) * 100;
        let da = if phai > 0 && rng.chance(40) {
            phai
        } else {
            i64::try_from(rng.below(3)).unwrap_or(0) * 10
        };
        let ket_thuc = if ["xong", "dinh_chi", "uy_thac"].contains(&state) {
            later(rng).or(Some(thu_ly))
        } else {
            None
        };
        (
            id,
            unit,
            tinh,
            rng.pick(officers),
            thu_ly,
            later(rng),
            if rng.chance(70) { later(rng) } else { None },
            i64::from(rng.chance(70)),
            state,
            phai,
            da,
            ket_thuc,
        )
    }

    fn random_decision(rng: &mut Rng, id: i64, cases: i64) -> Decision {
        let loai = rng.pick(&["thi_hanh_an", "hoan", "tam_dinh_chi", "khac"]);
        let case = 1 + i64::try_from(rng.below(usize::try_from(cases).unwrap_or(1))).unwrap_or(0);
        (id, case, loai, rng.pick(&DATES), i64::from(rng.chance(50)))
    }

    fn random_measure(rng: &mut Rng, id: i64, cases: i64) -> Measure {
        let loai = rng.pick(&[
            "ke_bien_tai_san",
            "tham_dinh_gia",
            "ban_dau_gia",
            "khau_tru",
        ]);
        let case = 1 + i64::try_from(rng.below(usize::try_from(cases).unwrap_or(1))).unwrap_or(0);
        (id, case, loai, rng.pick(&DATES))
    }

    fn random_receipt(rng: &mut Rng, id: i64, cases: &[Case]) -> Receipt {
        let case = cases[rng.below(cases.len())];
        let amount = if rng.chance(20) {
            1_500_000_000
        } else {
            i64::try_from(rng.below(50)).unwrap_or(0) * 10
        };
        (
            id,
            case.1,
            case.2,
            rng.chance(90).then_some(case.0),
            rng.pick(&DATES),
            amount,
            i64::from(rng.chance(60)),
            rng.pick(&["email", "sms", "giay"]),
            i64::from(rng.chance(50)),
            if rng.chance(90) { "hop_le" } else { "da_huy" },
        )
    }

    fn random_petition(rng: &mut Rng, id: i64) -> Petition {
        let (unit, tinh, _) = rng.pick(&UNITS);
        let received = rng.pick(&DATES);
        let state = rng.pick(&["moi", "dang_giai_quyet", "da_giai_quyet"]);
        (
            id,
            unit,
            Some(tinh),
            received,
            rng.pick(&DATES),
            (state == "da_giai_quyet").then(|| rng.pick(&DATES)),
            state,
        )
    }

    /// The KPI fixture grown to 60 cases with random children.
    fn random_fixture(rng: &mut Rng) -> Fixture {
        let mut f = kpi_fixture();
        let base = i64::try_from(f.cases.len()).unwrap_or(0);
        for id in base + 1..=60 {
            f.cases.push(random_case(rng, id));
        }
        let next_decision = i64::try_from(f.decisions.len()).unwrap_or(0) + 1;
        for id in next_decision..next_decision + 80 {
            f.decisions.push(random_decision(rng, id, 60));
        }
        for id in 1..=50 {
            f.measures.push(random_measure(rng, id, 60));
        }
        let next_receipt = i64::try_from(f.receipts.len()).unwrap_or(0) + 1;
        for id in next_receipt..next_receipt + 60 {
            let r = random_receipt(rng, id, &f.cases);
            f.receipts.push(r);
        }
        let next_petition = i64::try_from(f.petitions.len()).unwrap_or(0) + 1;
        for id in next_petition..next_petition + 15 {
            f.petitions.push(random_petition(rng, id));
        }
        f
    }

    /// Mutates `f` at random; returns the changed ids per table.
    fn random_batch(rng: &mut Rng, f: &mut Fixture) -> Vec<(Table, BTreeSet<i64>)> {
        let mut changed: Vec<(Table, BTreeSet<i64>)> = Vec::new();
        let mut touch = |t: Table, id: i64| match changed.iter_mut().find(|(x, _)| *x == t) {
            Some((_, ids)) => {
                ids.insert(id);
            }
            None => changed.push((t, BTreeSet::from([id]))),
        };
        for _ in 0..1 + rng.below(6) {
            let cases = i64::try_from(f.cases.len()).unwrap_or(0);
            match rng.below(7) {
                0 => {
                    let id = cases + 1;
                    f.cases.push(random_case(rng, id));
                    touch(Table::ViecThiHanh, id);
                }
                1 | 2 => {
                    // Update a case (possibly moving it to another unit or officer).
                    let i = rng.below(f.cases.len());
                    let id = f.cases[i].0;
                    f.cases[i] = random_case(rng, id);
                    touch(Table::ViecThiHanh, id);
                }
                3 => {
                    let id = i64::try_from(f.decisions.len()).unwrap_or(0) + 1;
                    f.decisions.push(random_decision(rng, id, cases));
                    touch(Table::QuyetDinh, id);
                }
                4 => {
                    // Update a decision: maybe moved to another case.
                    let i = rng.below(f.decisions.len());
                    let id = f.decisions[i].0;
                    f.decisions[i] = random_decision(rng, id, cases);
                    touch(Table::QuyetDinh, id);
                }
                5 => {
                    let id = i64::try_from(f.measures.len()).unwrap_or(0) + 1;
                    f.measures.push(random_measure(rng, id, cases));
                    touch(Table::BienPhapCuongChe, id);
                    let id = i64::try_from(f.receipts.len()).unwrap_or(0) + 1;
                    let r = random_receipt(rng, id, &f.cases);
                    f.receipts.push(r);
                    touch(Table::BienLai, id);
                }
                _ => {
                    if rng.chance(50) {
                        let i = rng.below(f.receipts.len());
                        let id = f.receipts[i].0;
                        f.receipts[i] = random_receipt(rng, id, &f.cases);
                        touch(Table::BienLai, id);
                    } else {
                        let id = i64::try_from(f.petitions.len()).unwrap_or(0) + 1;
                        f.petitions.push(random_petition(rng, id));
                        touch(Table::DonThu, id);
                    }
                }
            }
        }
        changed
    }

    fn rows_of(frames: &Frames, table: Table, ids: &BTreeSet<i64>) -> Vec<ColumnData> {
        let df = frames
            .lazy(table)
            .filter(in_ids("id", ids))
            .collect()
            .expect("rows");
        table_columns(table, &df)
    }

    fn same(mut a: KpiSnapshot, mut b: KpiSnapshot) {
        a.version = 0;
        b.version = 0;
        assert_eq!(a.national, b.national);
        assert_eq!(a.by_province, b.by_province);
        assert_eq!(a.by_office, b.by_office);
        assert_eq!(a.by_officer, b.by_officer);
        assert_eq!(a.overdue, b.overdue);
        assert_eq!(a.monthly, b.monthly);
        assert_eq!(a, b);
    }

    #[test]
    fn first_snapshot_equals_compute_snapshot() {
        let frames = kpi_fixture().frames();
        let (_, snap) = KpiEngine::new(&frames, d(AS_OF), AlertConfig::default()).expect("engine");
        same(
            snap,
            kpi::compute_snapshot(&frames, d(AS_OF)).expect("scratch"),
        );
    }

    #[test]
    fn incremental_equals_from_scratch_after_random_batches() {
        for seed in [7u64, 42, 1234] {
            let mut rng = Rng(seed);
            let mut fixture = random_fixture(&mut rng);
            let mut live = fixture.frames();
            let (mut engine, _) =
                KpiEngine::new(&live, d(AS_OF), AlertConfig::default()).expect("engine");
            for round in 0..25 {
                let changed = random_batch(&mut rng, &mut fixture);
                let truth = fixture.frames();
                let batch: Vec<(Table, Vec<ColumnData>)> = changed
                    .iter()
                    .map(|(t, ids)| (*t, rows_of(&truth, *t, ids)))
                    .collect();
                let update = engine
                    .apply(&mut live, batch, "2026-11-20T10:00:00+07:00")
                    .expect("apply");
                assert!(update.incremental);
                assert!(
                    live.same_rows(&truth).expect("compare"),
                    "seed {seed} round {round}"
                );
                same(
                    update.snapshot,
                    kpi::compute_snapshot(&truth, d(AS_OF)).expect("scratch"),
                );
            }
        }
    }

    #[test]
    fn alerts_of_a_batch() {
        let fixture = kpi_fixture();
        let mut frames = fixture.frames();
        let (mut engine, _) =
            KpiEngine::new(&frames, d(AS_OF), AlertConfig::default()).expect("engine");
        let mut next = Fixture {
            cases: fixture.cases.clone(),
            receipts: fixture.receipts.clone(),
            petitions: fixture.petitions.clone(),
            decisions: fixture.decisions.clone(),
            measures: fixture.measures.clone(),
            tasks: fixture.tasks.clone(),
        };
        // Case 4 (dang_thi_hanh, QĐ 2025-12-03, never verified) is already QH03; case 8 waits
        // for its decision (cho_ra_quyet_dinh since 2026-10-05: > 5 working days → QH02
        // already). A new case 11, dang_thi_hanh with a QĐ of 2026-10-01 and no verification,
        // is newly QH03.
        next.cases.push((
            11,
            3,
            "01",
            Some(10),
            "2026-09-28",
            Some("2026-10-01"),
            None,
            1,
            "dang_thi_hanh",
            500,
            0,
            None,
        ));
        // A 2-tỷ valid receipt (new), a 999,999,999 one (below the threshold), and receipt 3
        // (already large? no: 70 đồng) stays.
        next.receipts.push((
            6,
            3,
            "01",
            Some(11),
            "2026-11-20",
            2_000_000_000,
            1,
            "email",
            1,
            "hop_le",
        ));
        next.receipts.push((
            7,
            5,
            "79",
            Some(10),
            "2026-11-20",
            999_999_999,
            1,
            "sms",
            1,
            "hop_le",
        ));
        // A new khiếu nại (the fixture's petitions are all khiếu nại).
        next.petitions
            .push((7, 5, Some("79"), "2026-11-20", "2026-12-05", None, "moi"));
        let truth = next.frames();
        let batch = vec![
            (
                Table::ViecThiHanh,
                rows_of(&truth, Table::ViecThiHanh, &BTreeSet::from([11])),
            ),
            (
                Table::BienLai,
                rows_of(&truth, Table::BienLai, &BTreeSet::from([6, 7])),
            ),
            (
                Table::DonThu,
                rows_of(&truth, Table::DonThu, &BTreeSet::from([7])),
            ),
        ];
        let at = "2026-11-20T10:00:00+07:00";
        let update = engine.apply(&mut frames, batch.clone(), at).expect("apply");
        let ids: Vec<&str> = update.alerts.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, vec!["overdue:QH03:11", "payment:6", "complaint:7"]);
        let pay = &update.alerts[1];
        assert_eq!(pay.kind, AlertKind::LargePayment);
        assert_eq!(pay.amount, Some(2_000_000_000));
        assert_eq!(pay.ma_tinh, "01");
        assert_eq!(pay.ten_tinh, "Hà Nội");
        assert_eq!(pay.title, "Khoản thu lớn: 2.000.000.000 đồng");
        assert_eq!(
            pay.detail,
            "Biên lai BL-6 ngày 20/11/2026 — KV1 Hà Nội, việc V-11"
        );
        assert_eq!(pay.at, at);
        let breach = &update.alerts[0];
        assert_eq!(breach.title, "Vi phạm mới QH03: Chưa xác minh quá hạn");
        assert_eq!(breach.detail, "Việc V-11 — KV1 Hà Nội");
        let complaint = &update.alerts[2];
        assert_eq!(complaint.ma_tinh, "79");
        assert_eq!(complaint.title, "Khiếu nại mới");
        // Re-sending the same rows changes nothing and raises nothing.
        let again = engine.apply(&mut frames, batch, at).expect("again");
        assert!(again.alerts.is_empty(), "{:?}", again.alerts);
        assert_eq!(again.snapshot.national, update.snapshot.national);
    }
}
