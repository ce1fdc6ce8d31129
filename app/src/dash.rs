//! Server side of the dashboards: the [`Dashboard`] the server builds from each published KPI
//! snapshot, the scope rule of every dashboard page ([`may_open`]), and the functions that cut
//! a dashboard into what one page shows (no KPI is computed here: figures are copied).

use crate::components::cartogram;
use crate::error::AppError;
use crate::text::dash as t;
use crate::wire::dash::{
    AreaView, Attention, KpiChanges, OfficeView, OverdueQuery, ProvinceTile, RuleCount, TaskItem,
    UnitKpi, WallData,
};
use queries::Scope;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which units a monthly series point belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SeriesLevel {
    Country,
    Province,
    Office,
}

/// One month of a unit's monthly series (DOMAIN.md K4 cumulative from 1 October).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthPoint {
    pub level: SeriesLevel,
    /// `ma_tinh` for provinces, `don_vi.ma` for offices, empty for the country.
    pub key: String,
    /// Statistical year.
    pub year: i32,
    /// `YYYY-MM`.
    pub thang: String,
    pub cases_new: u64,
    pub cases_done: u64,
    pub done_rate_cases_cumulative: Option<f64>,
    pub receipts_amount: i64,
    pub complaints_received: u64,
}

/// K9 of one rule: national total and per province.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleCounts {
    pub code: String,
    pub label: String,
    pub total: u64,
    pub by_province: BTreeMap<String, u64>,
}

/// Everything the dashboards read, built by the server once per published snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub version: u64,
    /// ISO date.
    pub as_of: String,
    pub year: i32,
    pub previous_year: i32,
    pub national: UnitKpi,
    pub provinces: Vec<UnitKpi>,
    /// Every office, with its name and province.
    pub offices: Vec<UnitKpi>,
    /// Every officer with a KPI row, with name and office.
    pub officers: Vec<UnitKpi>,
    pub overdue: Vec<RuleCounts>,
    pub monthly: Vec<MonthPoint>,
    pub tasks_open: usize,
    pub tasks: Vec<TaskItem>,
    /// The same KPIs at the previous day's report date, for the "since yesterday" changes;
    /// `None` until it has been computed.
    pub day_before: Option<DayBefore>,
    /// Open and overdue tasks of every unit that has an open task.
    pub task_counts: Vec<UnitTasks>,
    /// The most recent alerts the server raised, oldest first (every province).
    pub recent_alerts: Vec<crate::wire::Alert>,
}

/// The open tasks of one assignee unit and how many of them are past their deadline (QH15).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitTasks {
    pub don_vi_id: i64,
    /// The unit's province (`don_vi.ma_tinh`).
    pub ma_tinh: String,
    pub open: u64,
    pub overdue: u64,
}

/// Open and overdue tasks of the units `scope` covers ([`Scope::covers`]): the header's badge.
pub fn tasks_in_scope(d: &Dashboard, scope: &Scope) -> (u64, u64) {
    d.task_counts
        .iter()
        .filter(|u| scope.covers(&u.ma_tinh, u.don_vi_id))
        .fold((0, 0), |(open, late), u| (open + u.open, late + u.overdue))
}

/// The KPIs of the country and of each province computed with the previous day as the report
/// date: the same formulas over the same data, so `today − day_before` is the change since
/// yesterday.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DayBefore {
    /// ISO date of that report date.
    pub as_of: String,
    pub national: UnitKpi,
    pub provinces: Vec<UnitKpi>,
}

/// Whether `scope` may open a page about the unit (`ma_tinh`, `don_vi_id`, `can_bo_id`); the
/// national view passes three `None`s. National and kiosk scopes open everything; a province
/// scope its own province and what is in it; an office scope its office and what is in it; an
/// officer scope their own page and cases.
pub fn may_open(
    scope: &Scope,
    ma_tinh: Option<&str>,
    don_vi_id: Option<i64>,
    can_bo_id: Option<i64>,
) -> bool {
    match scope {
        // An officer opens their own page and cases, not their office's.
        Scope::Officer { can_bo_id: own, .. } => can_bo_id == Some(*own),
        _ => scope.reach().includes(ma_tinh, don_vi_id),
    }
}

/// [`may_open`] as a result: a Vietnamese 403 when the scope does not cover the unit.
///
/// # Errors
/// [`AppError::Forbidden`].
pub fn require(
    scope: &Scope,
    ma_tinh: Option<&str>,
    don_vi_id: Option<i64>,
    can_bo_id: Option<i64>,
) -> Result<(), AppError> {
    if may_open(scope, ma_tinh, don_vi_id, can_bo_id) {
        Ok(())
    } else {
        Err(AppError::Forbidden(t::FORBIDDEN.to_string()))
    }
}

/// Confines the overdue list's filters to `scope`: a narrower scope's own unit is forced in,
/// and asking for another unit is refused.
///
/// # Errors
/// [`AppError::Forbidden`] when `q` names a province, office or officer outside `scope`.
pub fn confine(scope: &Scope, mut q: OverdueQuery) -> Result<OverdueQuery, AppError> {
    // Every text filter is a code: a long one is not a filter, and it would be logged.
    let texts = [&q.tinh, &q.quy_tac, &q.loai_an, &q.sap_xep];
    if texts
        .iter()
        .any(|v| v.as_deref().is_some_and(|v| v.len() > MAX_FILTER_BYTES))
    {
        return Err(AppError::Invalid(t::BAD_FILTER.to_string()));
    }
    let forbid = || AppError::Forbidden(t::FORBIDDEN.to_string());
    let own_tinh = |q: &mut OverdueQuery, own: &str| {
        if q.tinh.as_deref().is_some_and(|x| x != own) {
            return Err(forbid());
        }
        q.tinh = Some(own.to_string());
        Ok(())
    };
    match scope {
        Scope::National | Scope::Kiosk => {}
        Scope::Province { ma_tinh } => own_tinh(&mut q, ma_tinh)?,
        Scope::Office { don_vi_id, ma_tinh } => {
            own_tinh(&mut q, ma_tinh)?;
            if q.don_vi.is_some_and(|d| d != *don_vi_id) {
                return Err(forbid());
            }
            q.don_vi = Some(*don_vi_id);
        }
        Scope::Officer {
            can_bo_id,
            don_vi_id,
            ma_tinh,
        } => {
            own_tinh(&mut q, ma_tinh)?;
            if q.don_vi.is_some_and(|d| d != *don_vi_id)
                || q.can_bo.is_some_and(|c| c != *can_bo_id)
            {
                return Err(forbid());
            }
            q.don_vi = Some(*don_vi_id);
            q.can_bo = Some(*can_bo_id);
        }
    }
    Ok(q)
}

/// The longest text filter of the overdue list (codes are short).
pub const MAX_FILTER_BYTES: usize = 64;

/// How many provinces the wall display calls out as weakest.
pub const WEAKEST: usize = 5;

fn by_rate_asc(a: &UnitKpi, b: &UnitKpi) -> std::cmp::Ordering {
    let ra = a.done_rate_cases.unwrap_or(f64::INFINITY);
    let rb = b.done_rate_cases.unwrap_or(f64::INFINITY);
    ra.total_cmp(&rb).then_with(|| a.key.cmp(&b.key))
}

/// The provinces of `d` weakest first by completion (cases); provinces without a rate last.
pub fn weakest_provinces(d: &Dashboard, n: usize) -> Vec<UnitKpi> {
    let mut v = d.provinces.clone();
    v.sort_by(by_rate_asc);
    v.truncate(n);
    v
}

fn month_series<'a>(
    d: &'a Dashboard,
    level: SeriesLevel,
    key: &'a str,
    year: i32,
) -> impl Iterator<Item = &'a MonthPoint> + 'a {
    d.monthly
        .iter()
        .filter(move |m| m.level == level && m.key == key && m.year == year)
}

/// The month-over-month changes of a unit, from its monthly series: the current month is the
/// last month of this year's series.
pub fn changes(d: &Dashboard, level: SeriesLevel, key: &str) -> KpiChanges {
    let mut months: Vec<&MonthPoint> = month_series(d, level, key, d.year).collect();
    months.sort_by(|a, b| a.thang.cmp(&b.thang));
    let this = months.last().copied();
    let last = months
        .len()
        .checked_sub(2)
        .and_then(|i| months.get(i).copied());
    // The first month of the year compares with the last month of the previous year.
    let last = last.or_else(|| {
        let mut prev: Vec<&MonthPoint> = month_series(d, level, key, d.previous_year).collect();
        prev.sort_by(|a, b| a.thang.cmp(&b.thang));
        prev.last().copied()
    });
    KpiChanges {
        done_rate_cases_last_month: if months.len() >= 2 {
            last.and_then(|m| m.done_rate_cases_cumulative)
        } else {
            // Before the end of the first month the comparison is with 0 (a new year).
            None
        },
        cases_new_this_month: this.map(|m| m.cases_new),
        cases_new_last_month: last.map(|m| m.cases_new),
        cases_done_this_month: this.map(|m| m.cases_done),
        cases_done_last_month: last.map(|m| m.cases_done),
        receipts_this_month: this.map(|m| m.receipts_amount),
        receipts_last_month: last.map(|m| m.receipts_amount),
        complaints_this_month: this.map(|m| m.complaints_received),
        complaints_last_month: last.map(|m| m.complaints_received),
    }
}

/// Month labels and values of this and last year's series, aligned on the month of the
/// statistical year (October first).
pub struct TwoYears {
    pub this_year: Vec<Option<f64>>,
    pub last_year: Vec<Option<f64>>,
}

fn month_index(thang: &str) -> Option<usize> {
    let m: usize = thang.get(5..7)?.parse().ok()?;
    // October = 0 … September = 11.
    Some((m + 2) % 12)
}

fn two_years(
    d: &Dashboard,
    level: SeriesLevel,
    key: &str,
    value: impl Fn(&MonthPoint) -> Option<f64>,
    cumulative: bool,
) -> TwoYears {
    let series = |year: i32| {
        let mut v: Vec<Option<f64>> = vec![None; 12];
        for m in month_series(d, level, key, year) {
            if let Some(i) = month_index(&m.thang) {
                v[i] = value(m);
            }
        }
        if cumulative {
            let mut sum = 0.0;
            for x in v.iter_mut() {
                if let Some(y) = x {
                    sum += *y;
                    *x = Some(sum);
                }
            }
        }
        v
    };
    TwoYears {
        this_year: series(d.year),
        last_year: series(d.previous_year),
    }
}

/// Completion by cases (cumulative K4, percent) per month, this and last year.
pub fn rate_trend(d: &Dashboard, level: SeriesLevel, key: &str) -> TwoYears {
    two_years(d, level, key, |m| m.done_rate_cases_cumulative, false)
}

/// Money collected through valid receipts, cumulative from 1 October, in tỷ đồng.
pub fn receipts_trend(d: &Dashboard, level: SeriesLevel, key: &str) -> TwoYears {
    two_years(
        d,
        level,
        key,
        |m| Some(m.receipts_amount as f64 / 1e9),
        true,
    )
}

fn rule_counts(d: &Dashboard, ma_tinh: Option<&str>) -> Vec<RuleCount> {
    d.overdue
        .iter()
        .map(|r| RuleCount {
            code: r.code.clone(),
            label: r.label.clone(),
            total: match ma_tinh {
                None => r.total,
                Some(code) => r.by_province.get(code).copied().unwrap_or(0),
            },
        })
        .collect()
}

/// How many of each list the leadership's home shows.
pub const ATTENTION_ITEMS: usize = 5;

/// What needs attention today, for the leadership's home: the weakest provinces, the
/// provinces whose overdue count rose since the day before, the overdue tasks and the alerts
/// raised since `since_us` (the user's previous visit; every alert kept when `None`), newest
/// first. Every figure is copied from the snapshot.
pub fn attention(d: &Dashboard, since_us: Option<i64>) -> Attention {
    let breaches = d.day_before.as_ref().map(|before| {
        let mut rises: Vec<(UnitKpi, u64)> = d
            .provinces
            .iter()
            .filter_map(|p| {
                let was = before.provinces.iter().find(|b| b.key == p.key)?;
                let rise = p.overdue_total.checked_sub(was.overdue_total)?;
                (rise > 0).then(|| (p.clone(), rise))
            })
            .collect();
        rises.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.key.cmp(&b.0.key)));
        rises.truncate(ATTENTION_ITEMS);
        rises
    });
    Attention {
        as_of: d.as_of.clone(),
        weakest: weakest_provinces(d, ATTENTION_ITEMS),
        breaches,
        tasks_late: d
            .tasks
            .iter()
            .filter(|t| t.overdue)
            .take(ATTENTION_ITEMS)
            .cloned()
            .collect(),
        tasks_late_total: d.task_counts.iter().map(|u| u.overdue).sum(),
        alerts: d
            .recent_alerts
            .iter()
            .rev()
            .filter(|a| since_us.is_none_or(|t| a.raised_at_us > t))
            .take(ATTENTION_ITEMS)
            .cloned()
            .collect(),
        alerts_since_visit: since_us.is_some(),
    }
}

/// The wall display's data, with its charts drawn.
pub fn wall(d: &Dashboard, read_at_ms: i64) -> WallData {
    let weakest = weakest_provinces(d, WEAKEST);
    let tiles = cartogram::GRID
        .iter()
        .filter_map(|cell| {
            let p = queries::org::province(cell.ma_tinh)?;
            let k = d.provinces.iter().find(|u| u.key == cell.ma_tinh);
            Some(ProvinceTile {
                ma_tinh: cell.ma_tinh.to_string(),
                ten: p.ten.to_string(),
                short: cell.short.to_string(),
                row: cell.row,
                col: cell.col,
                done_rate_cases: k.and_then(|k| k.done_rate_cases),
                target_rate_cases: k.and_then(|k| k.target_rate_cases),
                done_rate_money: k.and_then(|k| k.done_rate_money),
                national_rate_cases: d.national.done_rate_cases,
                overdue_total: k.map_or(0, |k| k.overdue_total),
                weakest: weakest.iter().any(|w| w.key == cell.ma_tinh),
            })
        })
        .collect();
    let key = "";
    WallData {
        version: d.version,
        as_of: d.as_of.clone(),
        year: d.year,
        read_at_ms,
        national: d.national.clone(),
        yesterday: d.day_before.as_ref().map(|b| b.national.clone()),
        changes: changes(d, SeriesLevel::Country, key),
        tiles,
        weakest,
        overdue_rules: rule_counts(d, None),
        chart_cases_svg: crate::charts::trend_svg(
            t::CHART_RATE_TITLE,
            t::CHART_RATE_UNIT,
            &rate_trend(d, SeriesLevel::Country, key),
            d.year,
            d.national.target_rate_cases,
        ),
        chart_money_svg: crate::charts::trend_svg(
            t::CHART_MONEY_TITLE,
            t::CHART_MONEY_UNIT,
            &receipts_trend(d, SeriesLevel::Country, key),
            d.year,
            None,
        ),
        tasks_open: d.tasks_open,
        tasks: d.tasks.clone(),
    }
}

fn by_rate_desc(a: &UnitKpi, b: &UnitKpi) -> std::cmp::Ordering {
    by_rate_asc(b, a)
}

fn by_backlog_desc(a: &UnitKpi, b: &UnitKpi) -> std::cmp::Ordering {
    b.backlog.cmp(&a.backlog).then_with(|| a.key.cmp(&b.key))
}

/// The national view (`ma_tinh = None`) or a province's.
///
/// # Errors
/// [`AppError::NotFound`] for an unknown province code.
pub fn area(d: &Dashboard, ma_tinh: Option<&str>) -> Result<AreaView, AppError> {
    let (unit, mut children, mut officers, level, key) = match ma_tinh {
        None => (
            d.national.clone(),
            d.provinces.clone(),
            d.officers.clone(),
            SeriesLevel::Country,
            String::new(),
        ),
        Some(code) => {
            let unit = d
                .provinces
                .iter()
                .find(|p| p.key == code)
                .cloned()
                .ok_or(AppError::NotFound)?;
            let in_province = |u: &&UnitKpi| u.ma_tinh.as_deref() == Some(code);
            (
                unit,
                d.offices.iter().filter(in_province).cloned().collect(),
                d.officers.iter().filter(in_province).cloned().collect(),
                SeriesLevel::Province,
                code.to_string(),
            )
        }
    };
    children.sort_by(by_rate_desc);
    officers.sort_by(by_backlog_desc);
    let officers_total = officers.len();
    officers.truncate(AreaView::OFFICER_LIMIT);
    let offices = match ma_tinh {
        Some(_) => children
            .iter()
            .filter_map(|o| Some((o.don_vi_id?, o.name.clone())))
            .collect(),
        None => Vec::new(),
    };
    let title = format!("{} — {}", t::CHART_RATE_TITLE, unit.name);
    Ok(AreaView {
        version: d.version,
        as_of: d.as_of.clone(),
        year: d.year,
        ma_tinh: ma_tinh.map(str::to_string),
        chart_svg: crate::charts::trend_svg(
            &title,
            t::CHART_RATE_UNIT,
            &rate_trend(d, level, &key),
            d.year,
            unit.target_rate_cases,
        ),
        unit,
        national: d.national.clone(),
        children,
        officers,
        officers_total,
        overdue_rules: rule_counts(d, ma_tinh),
        offices,
    })
}

/// An office and its officers.
///
/// # Errors
/// [`AppError::NotFound`] for an unknown office.
pub fn office(d: &Dashboard, don_vi_id: i64) -> Result<OfficeView, AppError> {
    let unit = d
        .offices
        .iter()
        .find(|o| o.don_vi_id == Some(don_vi_id))
        .cloned()
        .ok_or(AppError::NotFound)?;
    let province = d
        .provinces
        .iter()
        .find(|p| Some(&p.key) == unit.ma_tinh.as_ref())
        .cloned()
        .unwrap_or_default();
    let mut officers: Vec<UnitKpi> = d
        .officers
        .iter()
        .filter(|o| o.don_vi_id == Some(don_vi_id))
        .cloned()
        .collect();
    officers.sort_by(by_backlog_desc);
    Ok(OfficeView {
        as_of: d.as_of.clone(),
        unit,
        province,
        officers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_open_only_their_units() {
        let hn = Scope::Province {
            ma_tinh: "01".into(),
        };
        assert!(may_open(&Scope::National, None, None, None));
        assert!(may_open(&Scope::Kiosk, Some("79"), Some(3), Some(4)));
        assert!(!may_open(&hn, None, None, None));
        assert!(may_open(&hn, Some("01"), Some(7), Some(8)));
        assert!(!may_open(&hn, Some("79"), None, None));
        let office = Scope::Office {
            don_vi_id: 7,
            ma_tinh: "01".into(),
        };
        assert!(!may_open(&office, Some("01"), None, None));
        assert!(may_open(&office, Some("01"), Some(7), Some(8)));
        assert!(!may_open(&office, Some("01"), Some(9), None));
        let officer = Scope::Officer {
            can_bo_id: 8,
            don_vi_id: 7,
            ma_tinh: "01".into(),
        };
        assert!(!may_open(&officer, Some("01"), Some(7), None));
        assert!(may_open(&officer, Some("01"), Some(7), Some(8)));
        assert!(require(&hn, Some("79"), None, None).is_err());
    }

    fn province(key: &str, rate: f64, overdue: u64) -> UnitKpi {
        UnitKpi {
            key: key.into(),
            ma_tinh: Some(key.into()),
            done_rate_cases: Some(rate),
            overdue_total: overdue,
            ..Default::default()
        }
    }

    fn task(id: i64, overdue: bool) -> TaskItem {
        TaskItem {
            id,
            title: format!("Nhiệm vụ {id}"),
            unit: "T01".into(),
            due: "2026-11-19".into(),
            progress: 0,
            overdue,
        }
    }

    /// Three provinces; yesterday 01 had 10 overdue cases (today 14: +4), 79 had 5 (today 5)
    /// and 48 had 2 (today 3: +1). Tasks: two of the three listed are overdue, and the units
    /// count 2 + 1 overdue in all.
    #[test]
    fn attention_lists_the_weakest_the_rises_the_late_tasks_and_new_alerts() {
        let today = vec![
            province("01", 40.0, 14),
            province("79", 30.0, 5),
            province("48", 50.0, 3),
        ];
        let mut d = Dashboard {
            version: 1,
            as_of: "2026-11-20".into(),
            year: 2027,
            previous_year: 2026,
            national: UnitKpi::default(),
            provinces: today,
            offices: Vec::new(),
            officers: Vec::new(),
            overdue: Vec::new(),
            monthly: Vec::new(),
            tasks_open: 3,
            tasks: vec![task(1, true), task(2, true), task(3, false)],
            day_before: None,
            task_counts: vec![
                UnitTasks {
                    don_vi_id: 1,
                    ma_tinh: "01".into(),
                    open: 2,
                    overdue: 2,
                },
                UnitTasks {
                    don_vi_id: 2,
                    ma_tinh: "79".into(),
                    open: 4,
                    overdue: 1,
                },
            ],
            recent_alerts: Vec::new(),
        };
        let a = attention(&d, None);
        let keys = |v: &[UnitKpi]| v.iter().map(|u| u.key.clone()).collect::<Vec<_>>();
        assert_eq!(keys(&a.weakest), ["79", "01", "48"]);
        assert_eq!(a.breaches, None, "no day before yet");
        assert_eq!(
            a.tasks_late.iter().map(|t| t.id).collect::<Vec<_>>(),
            [1, 2]
        );
        assert_eq!(a.tasks_late_total, 3);
        d.day_before = Some(DayBefore {
            as_of: "2026-11-19".into(),
            national: UnitKpi::default(),
            provinces: vec![
                province("01", 40.0, 10),
                province("79", 30.0, 5),
                province("48", 50.0, 2),
            ],
        });
        let rises: Vec<(String, u64)> = attention(&d, None)
            .breaches
            .expect("day before")
            .into_iter()
            .map(|(u, n)| (u.key, n))
            .collect();
        assert_eq!(rises, [("01".to_string(), 4), ("48".to_string(), 1)]);
        let hn = Scope::Province {
            ma_tinh: "01".into(),
        };
        assert_eq!(tasks_in_scope(&d, &hn), (2, 2));
        assert_eq!(tasks_in_scope(&d, &Scope::National), (6, 3));
        // Alerts raised at 10, 20 and 30 µs; the previous visit at 15: the two later, newest
        // first; a first visit lists all three.
        d.recent_alerts = [10, 20, 30]
            .map(|t| crate::wire::Alert {
                id: format!("payment:{t}"),
                kind: crate::wire::AlertKind::LargePayment,
                ma_tinh: "01".into(),
                ten_tinh: "Hà Nội".into(),
                title: String::new(),
                detail: String::new(),
                amount: None,
                at: String::new(),
                version: 1,
                raised_at_us: t,
            })
            .to_vec();
        let ids = |a: Attention| a.alerts.into_iter().map(|x| x.id).collect::<Vec<_>>();
        assert_eq!(ids(attention(&d, Some(15))), ["payment:30", "payment:20"]);
        assert!(attention(&d, Some(15)).alerts_since_visit);
        assert_eq!(ids(attention(&d, None)).len(), 3);
    }

    #[test]
    fn overdue_filters_are_confined() {
        let hn = Scope::Province {
            ma_tinh: "01".into(),
        };
        let q = confine(&hn, OverdueQuery::default()).unwrap();
        assert_eq!(q.tinh.as_deref(), Some("01"));
        let other = OverdueQuery {
            tinh: Some("79".into()),
            ..Default::default()
        };
        assert!(matches!(
            confine(&hn, other.clone()),
            Err(AppError::Forbidden(_))
        ));
        assert_eq!(confine(&Scope::National, other.clone()).unwrap(), other);
        let officer = Scope::Officer {
            can_bo_id: 8,
            don_vi_id: 7,
            ma_tinh: "01".into(),
        };
        let q = confine(&officer, OverdueQuery::default()).unwrap();
        assert_eq!((q.don_vi, q.can_bo), (Some(7), Some(8)));
        let wrong = OverdueQuery {
            can_bo: Some(9),
            ..Default::default()
        };
        assert!(confine(&officer, wrong).is_err());
    }

    #[test]
    fn months_align_on_the_statistical_year() {
        assert_eq!(month_index("2026-10"), Some(0));
        assert_eq!(month_index("2027-01"), Some(3));
        assert_eq!(month_index("2027-09"), Some(11));
        assert_eq!(month_index("x"), None);
    }
}
