//! The dashboards' data source: the app's [`DataSource`] over the published KPI snapshot, the
//! live frames (overdue list) and the store (case lists and timelines), and the CSV export of
//! the overdue list (`GET /api/viec-qua-han.csv`).
//!
//! Nothing here computes a KPI: figures are copied from `queries::kpi::KpiSnapshot`, once per
//! published version ([`Dashboard`] cache), so a page read never scans a table. The overdue
//! list is built with `queries::drill` once per version too and then filtered per request.

use crate::projection::Projection;
use crate::store::Store;
use app::dash::{Dashboard, DayBefore, MonthPoint, RuleCounts, SeriesLevel, UnitTasks};
use app::error::AppError;
use app::ssr::{BoxFuture, DataSource};
use app::text::dash as t;
use app::wire::dash::{
    CaseDetail, CaseRow, OverdueList, OverdueQuery, OverdueRow, TaskItem, TimelineEntry, UnitKpi,
};
use app::wire::NationalTotals;
use axum::extract::{Query, State as AxumState};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use queries::drill::{self, OverdueFilter, OverdueSort, OverdueTable};
use queries::kpi::{KpiRow, KpiSnapshot, Level, RuleId, COUNTRY_KEY};
use queries::Scope;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{Mutex, OnceCell};

/// Open tasks carried to the wall display.
const WALL_TASKS: usize = 8;
/// Most rows one CSV export holds.
pub const CSV_MAX_ROWS: usize = 100_000;

/// Names of the organisation (read once: units and officers do not change through events).
#[derive(Debug, Default)]
struct Names {
    /// `don_vi.id` → (`ma`, `ten`, `ma_tinh`).
    units: HashMap<i64, (String, String, Option<String>)>,
    /// `don_vi.ma` → `don_vi.id`.
    unit_by_code: HashMap<String, i64>,
    /// `can_bo.id` → (`ho_ten`, `don_vi_id`).
    officers: HashMap<i64, (String, i64)>,
}

/// The [`DataSource`] of the running server.
pub struct Data {
    store: Store,
    projection: Projection,
    names: OnceCell<Arc<Names>>,
    dashboard: Mutex<Option<Arc<Dashboard>>>,
    /// The KPIs at the day before the data's as-of date, computed once per as-of date.
    day_before: Mutex<Option<(NaiveDate, DayBefore)>>,
    overdue: Mutex<Option<(u64, Arc<OverdueTable>)>>,
}

impl Data {
    /// The data source over `store` and its `projection`.
    pub fn new(store: Store, projection: Projection) -> Data {
        Data {
            store,
            projection,
            names: OnceCell::new(),
            dashboard: Mutex::new(None),
            day_before: Mutex::new(None),
            overdue: Mutex::new(None),
        }
    }
}

fn unavailable(what: &'static str) -> impl Fn(String) -> AppError {
    move |e| {
        tracing::error!(error = %e, what, "dashboard data");
        AppError::Unavailable
    }
}

#[derive(sqlx::FromRow)]
struct UnitName {
    id: i64,
    ma: String,
    ten: String,
    ma_tinh: Option<String>,
}

#[derive(sqlx::FromRow)]
struct OfficerName {
    id: i64,
    ho_ten: String,
    don_vi_id: i64,
}

async fn read_names(store: &Store) -> Result<Names, sqlx::Error> {
    const UNITS: &str = "SELECT CAST(id AS BIGINT) AS id, ma, ten, ma_tinh FROM don_vi";
    const OFFICERS: &str = "SELECT CAST(id AS BIGINT) AS id, ho_ten, CAST(don_vi_id AS BIGINT) AS don_vi_id FROM can_bo";
    let units: Vec<UnitName> = store.all(UNITS, &[]).await?;
    let officers: Vec<OfficerName> = store.all(OFFICERS, &[]).await?;
    let mut names = Names::default();
    for u in units {
        names.unit_by_code.insert(u.ma.clone(), u.id);
        names.units.insert(u.id, (u.ma, u.ten, u.ma_tinh));
    }
    for o in officers {
        names.officers.insert(o.id, (o.ho_ten, o.don_vi_id));
    }
    Ok(names)
}

fn province_name(code: &str) -> String {
    queries::org::province(code).map_or_else(|| code.to_string(), |p| p.ten.to_string())
}

fn unit_kpi(r: &KpiRow, names: &Names) -> UnitKpi {
    let (name, parent, ma_tinh, don_vi_id, can_bo_id) = match r.level {
        Level::Country => (t::NAV_COUNTRY.to_string(), String::new(), None, None, None),
        Level::Province => (
            province_name(&r.key),
            t::NAV_COUNTRY.to_string(),
            Some(r.key.clone()),
            None,
            None,
        ),
        Level::Office => {
            let id = r
                .don_vi_id
                .or_else(|| names.unit_by_code.get(&r.key).copied());
            let unit = id.and_then(|id| names.units.get(&id));
            let ma_tinh = r.ma_tinh.clone().or_else(|| unit.and_then(|u| u.2.clone()));
            (
                unit.map_or_else(|| r.key.clone(), |u| u.1.clone()),
                ma_tinh.as_deref().map(province_name).unwrap_or_default(),
                ma_tinh,
                id,
                None,
            )
        }
        Level::Officer => {
            let id = r.can_bo_id.or_else(|| r.key.parse().ok());
            let officer = id.and_then(|id| names.officers.get(&id));
            let don_vi_id = r.don_vi_id.or_else(|| officer.map(|o| o.1));
            let unit = don_vi_id.and_then(|id| names.units.get(&id));
            (
                officer.map_or_else(|| r.key.clone(), |o| o.0.clone()),
                unit.map(|u| u.1.clone()).unwrap_or_default(),
                r.ma_tinh.clone().or_else(|| unit.and_then(|u| u.2.clone())),
                don_vi_id,
                id,
            )
        }
        Level::Region(_) => (r.key.clone(), String::new(), None, None, None),
    };
    UnitKpi {
        key: r.key.clone(),
        name,
        parent,
        ma_tinh,
        don_vi_id,
        can_bo_id,
        cases_to_enforce: r.cases_to_enforce,
        cases_with_conditions: r.cases_with_conditions,
        cases_done: r.cases_done,
        cases_new: r.cases_new,
        done_rate_cases: r.done_rate_cases,
        target_rate_cases: r.target_rate_cases,
        money_with_conditions: r.money_with_conditions,
        money_done: r.money_done,
        done_rate_money: r.done_rate_money,
        target_rate_money: r.target_rate_money,
        meets_target: r.meets_target,
        backlog: r.backlog,
        overdue_total: r.overdue_total,
        officers: r.officers,
        done_per_officer: r.done_per_officer,
        receipts_today: r.receipts_today,
        receipts_today_amount: r.receipts_today_amount,
        complaints_open: r.complaints_open,
    }
}

/// The open tasks a dashboard shows: how many, the first by deadline, and the counts per unit.
struct OpenTasks {
    total: usize,
    first: Vec<drill::OpenTask>,
    by_unit: Vec<drill::UnitTaskCount>,
}

fn dashboard_of(
    version: u64,
    k: &KpiSnapshot,
    names: &Names,
    tasks: OpenTasks,
    day_before: Option<DayBefore>,
    recent_alerts: Vec<app::wire::Alert>,
) -> Dashboard {
    let monthly = k
        .monthly
        .iter()
        .filter_map(|m| {
            let (level, key) = match m.level {
                Level::Country => (SeriesLevel::Country, String::new()),
                Level::Province => (SeriesLevel::Province, m.key.clone()),
                Level::Office => (SeriesLevel::Office, m.key.clone()),
                _ => return None,
            };
            Some(MonthPoint {
                level,
                key: if key == COUNTRY_KEY {
                    String::new()
                } else {
                    key
                },
                year: m.year,
                thang: m.thang.clone(),
                cases_new: m.cases_new,
                cases_done: m.cases_done,
                done_rate_cases_cumulative: m.done_rate_cases_cumulative,
                receipts_amount: m.receipts_amount,
                complaints_received: m.complaints_received,
            })
        })
        .collect();
    let overdue = k
        .overdue
        .iter()
        .map(|o| RuleCounts {
            code: o.rule.code().to_string(),
            label: o.label.clone(),
            total: o.total,
            by_province: o.by_province.clone(),
        })
        .collect();
    let unit = |id: i64| names.units.get(&id);
    let task_counts = tasks
        .by_unit
        .into_iter()
        .map(|u| UnitTasks {
            ma_tinh: unit(u.don_vi_id)
                .and_then(|n| n.2.clone())
                .unwrap_or_default(),
            don_vi_id: u.don_vi_id,
            open: u.open,
            overdue: u.overdue,
        })
        .collect();
    let tasks_open = tasks.total;
    let tasks = tasks
        .first
        .into_iter()
        .map(|task| TaskItem {
            id: task.id,
            title: task.tieu_de,
            unit: unit(task.don_vi_id)
                .map(|u| u.1.clone())
                .unwrap_or_default(),
            due: task.han_hoan_thanh,
            progress: task.tien_do,
            overdue: task.overdue,
        })
        .collect();
    Dashboard {
        version,
        as_of: k.as_of.format("%Y-%m-%d").to_string(),
        year: k.period.year,
        previous_year: k.previous.year,
        national: unit_kpi(&k.national, names),
        provinces: k.by_province.iter().map(|r| unit_kpi(r, names)).collect(),
        offices: k.by_office.iter().map(|r| unit_kpi(r, names)).collect(),
        officers: k.by_officer.iter().map(|r| unit_kpi(r, names)).collect(),
        overdue,
        monthly,
        tasks_open,
        tasks,
        day_before,
        task_counts,
        recent_alerts,
    }
}

/// The country's and the provinces' KPIs of a snapshot computed at the day before.
fn day_before_of(k: &KpiSnapshot, names: &Names) -> DayBefore {
    DayBefore {
        as_of: k.as_of.format("%Y-%m-%d").to_string(),
        national: unit_kpi(&k.national, names),
        provinces: k.by_province.iter().map(|r| unit_kpi(r, names)).collect(),
    }
}

impl Data {
    async fn names(&self) -> Result<Arc<Names>, AppError> {
        self.names
            .get_or_try_init(|| async {
                read_names(&self.store)
                    .await
                    .map(Arc::new)
                    .map_err(|e| unavailable("names")(e.to_string()))
            })
            .await
            .cloned()
    }

    async fn build_dashboard(&self) -> Result<Arc<Dashboard>, AppError> {
        let published = self.projection.latest();
        let mut cached = self.dashboard.lock().await;
        if let Some(d) = cached.as_ref().filter(|d| d.version == published.version) {
            return Ok(d.clone());
        }
        let Some(kpi) = published.kpi.as_ref() else {
            return Err(AppError::Unavailable);
        };
        let names = self.names().await?;
        let projection = self.projection.clone();
        let as_of = kpi.as_of;
        let tasks = tokio::task::spawn_blocking(move || {
            projection.with_frames(|f, _| {
                let (total, first) = drill::open_tasks(f, as_of, WALL_TASKS)?;
                let by_unit = drill::open_tasks_by_unit(f, as_of)?;
                Ok::<_, queries::Error>(OpenTasks {
                    total,
                    first,
                    by_unit,
                })
            })
        })
        .await
        .map_err(|e| unavailable("tasks")(e.to_string()))?
        .map_err(|e| unavailable("tasks")(e.to_string()))?
        .map_err(|e| unavailable("tasks")(e.to_string()))?;
        let day_before = self.day_before(as_of, &names).await;
        let d = Arc::new(dashboard_of(
            published.version,
            kpi,
            &names,
            tasks,
            day_before,
            published.recent_alerts.iter().cloned().collect(),
        ));
        *cached = Some(d.clone());
        Ok(d)
    }

    /// The KPIs with `as_of − 1 day` as the report date, computed from scratch over the live
    /// frames once per as-of date (about a second at scale 1.0; the as-of date moves once a
    /// day). `None`, logged, when it cannot be computed: the dashboards then show no daily change.
    async fn day_before(&self, as_of: NaiveDate, names: &Names) -> Option<DayBefore> {
        let mut cached = self.day_before.lock().await;
        if let Some((_, d)) = cached.as_ref().filter(|(date, _)| *date == as_of) {
            return Some(d.clone());
        }
        let day = as_of.pred_opt()?;
        let projection = self.projection.clone();
        let computed = tokio::task::spawn_blocking(move || {
            projection.with_frames(|f, _| queries::kpi::compute_snapshot(f, day))
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()))
        .and_then(|r| r.map_err(|e| e.to_string()));
        match computed {
            Ok(k) => {
                let d = day_before_of(&k, names);
                *cached = Some((as_of, d.clone()));
                Some(d)
            }
            Err(e) => {
                tracing::error!(error = %e, "KPIs of the day before");
                None
            }
        }
    }

    async fn overdue_table(&self) -> Result<Arc<OverdueTable>, AppError> {
        let version = self.projection.latest().version;
        let mut cached = self.overdue.lock().await;
        if let Some((v, table)) = cached.as_ref() {
            if *v == version {
                return Ok(table.clone());
            }
        }
        let projection = self.projection.clone();
        let table = tokio::task::spawn_blocking(move || {
            projection.with_frames(|f, as_of| {
                let as_of = as_of.ok_or(queries::Error::DateRange("empty store".into()))?;
                drill::overdue_table(f, as_of)
            })
        })
        .await
        .map_err(|e| unavailable("overdue")(e.to_string()))?
        .map_err(|e| unavailable("overdue")(e.to_string()))?
        .map_err(|e| unavailable("overdue")(e.to_string()))?;
        let table = Arc::new(table);
        *cached = Some((version, table.clone()));
        Ok(table)
    }

    /// Rows of the overdue list for `q` (already confined to the caller's scope).
    async fn overdue_rows(
        &self,
        q: &OverdueQuery,
        offset: usize,
        limit: usize,
    ) -> Result<(usize, Vec<OverdueRow>), AppError> {
        let filter = filter_of(q, offset, limit)?;
        let table = self.overdue_table().await?;
        let names = self.names().await?;
        let page = tokio::task::spawn_blocking(move || table.page(&filter))
            .await
            .map_err(|e| unavailable("overdue page")(e.to_string()))?
            .map_err(|e| unavailable("overdue page")(e.to_string()))?;
        let rows = page
            .items
            .into_iter()
            .map(|i| OverdueRow {
                rule: i.rule.code().to_string(),
                rule_label: i.rule.label().to_string(),
                subject_id: i.subject_id,
                viec_id: i.viec_id,
                ma_viec: i.ma_viec,
                loai_an: i.loai_an,
                trang_thai: i.trang_thai,
                ngay_thu_ly: i.ngay_thu_ly,
                so_tien_phai_thi_hanh: i.so_tien_phai_thi_hanh,
                ma_tinh: i.ma_tinh,
                don_vi_ten: i
                    .don_vi_id
                    .and_then(|id| names.units.get(&id))
                    .map(|u| u.1.clone()),
                don_vi_id: i.don_vi_id,
                can_bo_ten: i
                    .can_bo_id
                    .and_then(|id| names.officers.get(&id))
                    .map(|o| o.0.clone()),
                can_bo_id: i.can_bo_id,
            })
            .collect();
        Ok((page.total, rows))
    }
}

/// The Polars filter of a query-string filter.
///
/// # Errors
/// [`AppError::Invalid`] naming an unknown rule, case type or sort.
pub fn filter_of(q: &OverdueQuery, offset: usize, limit: usize) -> Result<OverdueFilter, AppError> {
    let rule = match q.quy_tac.as_deref() {
        None => None,
        Some(code) => Some(
            RuleId::ALL
                .into_iter()
                .find(|r| r.code() == code)
                .ok_or_else(|| AppError::Invalid(format!("{} {code}", t::INVALID_RULE)))?,
        ),
    };
    if let Some(kind) = q.loai_an.as_deref() {
        if !t::CASE_TYPES.contains(&kind) {
            return Err(AppError::Invalid(format!("{} {kind}", t::INVALID_TYPE)));
        }
    }
    let sort = match q.sap_xep.as_deref() {
        None => OverdueSort::default(),
        Some(s) => OverdueSort::parse(s)
            .ok_or_else(|| AppError::Invalid(format!("{} {s}", t::INVALID_SORT)))?,
    };
    Ok(OverdueFilter {
        ma_tinh: q.tinh.clone(),
        don_vi_id: q.don_vi,
        can_bo_id: q.can_bo,
        rule,
        loai_an: q.loai_an.clone(),
        sort,
        descending: q.giam.unwrap_or(false),
        offset,
        limit,
    })
}

#[derive(sqlx::FromRow)]
struct CaseListRow {
    id: i64,
    ma_viec: String,
    loai_an: String,
    trang_thai: String,
    ngay_thu_ly: chrono::NaiveDate,
    so_tien_phai_thi_hanh: i64,
    so_tien_da_thi_hanh: i64,
}

#[derive(sqlx::FromRow)]
struct CaseFull {
    id: i64,
    ma_viec: String,
    don_vi_id: i64,
    ma_tinh: String,
    chap_hanh_vien_id: Option<i64>,
    loai_an: String,
    hinh_thuc: String,
    ngay_thu_ly: chrono::NaiveDate,
    ngay_ra_quyet_dinh: Option<chrono::NaiveDate>,
    ngay_xac_minh: Option<chrono::NaiveDate>,
    co_dieu_kien: i64,
    trang_thai: String,
    so_tien_phai_thi_hanh: i64,
    so_tien_da_thi_hanh: i64,
    ngay_ket_thuc: Option<chrono::NaiveDate>,
}

#[derive(sqlx::FromRow)]
struct Dated {
    ngay: chrono::NaiveDate,
    code: String,
    detail: String,
    amount: Option<i64>,
    flag: Option<i64>,
}

const OPEN: &str = "trang_thai NOT IN ('xong', 'dinh_chi', 'uy_thac')";

fn iso(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

async fn officer_cases(
    store: &Store,
    can_bo_id: i64,
    page: usize,
) -> Result<(usize, Vec<CaseRow>), sqlx::Error> {
    let count_sql =
        format!("SELECT COUNT(*) FROM viec_thi_hanh WHERE chap_hanh_vien_id = $1 AND {OPEN}");
    let list_sql = format!(
        "SELECT CAST(id AS BIGINT) AS id, ma_viec, loai_an, trang_thai, ngay_thu_ly, \
         CAST(so_tien_phai_thi_hanh AS BIGINT) AS so_tien_phai_thi_hanh, \
         CAST(so_tien_da_thi_hanh AS BIGINT) AS so_tien_da_thi_hanh \
         FROM viec_thi_hanh WHERE chap_hanh_vien_id = $1 AND {OPEN} \
         ORDER BY ngay_thu_ly, id LIMIT $2 OFFSET $3"
    );
    let size = OverdueQuery::PAGE_SIZE;
    let limit = i64::try_from(size).unwrap_or(50);
    let offset = i64::try_from(page.saturating_sub(1) * size).unwrap_or(0);
    let (total,): (i64,) = store.one(&count_sql, &[can_bo_id.into()]).await?;
    let rows: Vec<CaseListRow> = store
        .all(&list_sql, &[can_bo_id.into(), limit.into(), offset.into()])
        .await?;
    let rows = rows
        .into_iter()
        .map(|r| CaseRow {
            id: r.id,
            ma_viec: r.ma_viec,
            loai_an: r.loai_an,
            trang_thai: r.trang_thai,
            ngay_thu_ly: iso(r.ngay_thu_ly),
            so_tien_phai_thi_hanh: r.so_tien_phai_thi_hanh,
            so_tien_da_thi_hanh: r.so_tien_da_thi_hanh,
        })
        .collect();
    Ok((usize::try_from(total).unwrap_or(0), rows))
}

/// The timeline sources of a case, each as (date, code, detail, amount, flag).
const TIMELINE: [(&str, &str); 4] = [
    (
        "quyet_dinh",
        "SELECT ngay_ky AS ngay, loai AS code, so_quyet_dinh AS detail, \
         CAST(NULL AS BIGINT) AS amount, CAST(ky_so AS BIGINT) AS flag \
         FROM quyet_dinh WHERE viec_id = $1",
    ),
    (
        "bien_phap",
        "SELECT ngay_thuc_hien AS ngay, loai AS code, nhom AS detail, \
         CAST(NULL AS BIGINT) AS amount, CAST(NULL AS BIGINT) AS flag \
         FROM bien_phap_cuong_che WHERE viec_id = $1",
    ),
    (
        "bien_lai",
        "SELECT ngay_thu AS ngay, trang_thai AS code, so_bien_lai AS detail, \
         CAST(so_tien AS BIGINT) AS amount, CAST(ky_so AS BIGINT) AS flag \
         FROM bien_lai WHERE viec_id = $1",
    ),
    (
        "don_thu",
        "SELECT ngay_nhan AS ngay, loai AS code, trang_thai AS detail, \
         CAST(NULL AS BIGINT) AS amount, CAST(NULL AS BIGINT) AS flag \
         FROM don_thu WHERE viec_id = $1",
    ),
];

async fn case_detail(
    store: &Store,
    id: i64,
) -> Result<Option<(CaseFull, Vec<TimelineEntry>)>, sqlx::Error> {
    const CASE: &str = "SELECT CAST(id AS BIGINT) AS id, ma_viec, CAST(don_vi_id AS BIGINT) AS don_vi_id, \
        ma_tinh, CAST(chap_hanh_vien_id AS BIGINT) AS chap_hanh_vien_id, loai_an, hinh_thuc, \
        ngay_thu_ly, ngay_ra_quyet_dinh, ngay_xac_minh, CAST(co_dieu_kien AS BIGINT) AS co_dieu_kien, \
        trang_thai, CAST(so_tien_phai_thi_hanh AS BIGINT) AS so_tien_phai_thi_hanh, \
        CAST(so_tien_da_thi_hanh AS BIGINT) AS so_tien_da_thi_hanh, ngay_ket_thuc \
        FROM viec_thi_hanh WHERE id = $1";
    let case: Option<CaseFull> = store.optional(CASE, &[id.into()]).await?;
    let Some(case) = case else {
        return Ok(None);
    };
    let mut timeline = vec![TimelineEntry {
        date: iso(case.ngay_thu_ly),
        kind: "thu_ly".into(),
        code: case.loai_an.clone(),
        detail: case.ma_viec.clone(),
    }];
    if let Some(d) = case.ngay_xac_minh {
        timeline.push(TimelineEntry {
            date: iso(d),
            kind: "xac_minh".into(),
            code: if case.co_dieu_kien == 1 {
                t::CASE_WITH.to_string()
            } else {
                t::CASE_WITHOUT.to_string()
            },
            detail: String::new(),
        });
    }
    for (kind, sql) in TIMELINE {
        let rows: Vec<Dated> = store.all(sql, &[id.into()]).await?;
        for r in rows {
            let mut detail = match kind {
                "don_thu" => t::code_name(&r.detail).to_string(),
                "bien_phap" => String::new(),
                _ => r.detail,
            };
            if let Some(amount) = r.amount {
                detail = format!("{detail} · {} {}", app::text::format_int(amount), t::DONG);
            }
            if let Some(flag) = r.flag {
                let signed = if flag == 1 { t::SIGNED } else { t::NOT_SIGNED };
                detail = format!("{detail} · {signed}");
            }
            timeline.push(TimelineEntry {
                date: iso(r.ngay),
                kind: kind.to_string(),
                code: r.code,
                detail,
            });
        }
    }
    if let Some(d) = case.ngay_ket_thuc {
        timeline.push(TimelineEntry {
            date: iso(d),
            kind: "ket_thuc".into(),
            code: case.trang_thai.clone(),
            detail: String::new(),
        });
    }
    // Stable: same-day entries keep the order above (intake first, the end last).
    timeline.sort_by(|a, b| a.date.cmp(&b.date));
    Ok(Some((case, timeline)))
}

impl DataSource for Data {
    fn national_totals(&self) -> BoxFuture<'_, Result<NationalTotals, AppError>> {
        Box::pin(async move {
            let unavailable = |e: crate::store::Error| {
                tracing::error!(error = %e, "national totals");
                AppError::Unavailable
            };
            let as_of = self.store.meta("as_of").await.map_err(unavailable)?;
            let c = self.store.national_totals().await.map_err(unavailable)?;
            Ok(NationalTotals {
                as_of,
                provinces: c.provinces,
                regional_offices: c.regional_offices,
                active_officers: c.active_officers,
                cases: c.cases,
                open_cases: c.open_cases,
                receipts_dong: c.receipts_dong,
            })
        })
    }

    fn dashboard(&self) -> BoxFuture<'_, Result<Arc<Dashboard>, AppError>> {
        Box::pin(self.build_dashboard())
    }

    fn overdue(&self, q: OverdueQuery) -> BoxFuture<'_, Result<OverdueList, AppError>> {
        Box::pin(async move {
            let page = q.trang.unwrap_or(1).max(1);
            let size = OverdueQuery::PAGE_SIZE;
            let (total, rows) = self
                .overdue_rows(&q, (page - 1).saturating_mul(size), size)
                .await?;
            Ok(OverdueList {
                total,
                page,
                page_size: size,
                rows,
            })
        })
    }

    fn overdue_export(
        &self,
        q: OverdueQuery,
        max_rows: usize,
    ) -> BoxFuture<'_, Result<Vec<OverdueRow>, AppError>> {
        Box::pin(async move { Ok(self.overdue_rows(&q, 0, max_rows).await?.1) })
    }

    fn officer_cases(
        &self,
        can_bo_id: i64,
        page: usize,
    ) -> BoxFuture<'_, Result<(usize, Vec<CaseRow>), AppError>> {
        Box::pin(async move {
            officer_cases(&self.store, can_bo_id, page)
                .await
                .map_err(|e| unavailable("officer cases")(e.to_string()))
        })
    }

    fn case_detail(&self, id: i64) -> BoxFuture<'_, Result<Option<CaseDetail>, AppError>> {
        Box::pin(async move {
            let Some((c, timeline)) = case_detail(&self.store, id)
                .await
                .map_err(|e| unavailable("case")(e.to_string()))?
            else {
                return Ok(None);
            };
            let names = self.names().await?;
            let table = self.overdue_table().await?;
            let rules = tokio::task::spawn_blocking(move || table.rules_of_case(id))
                .await
                .map_err(|e| unavailable("case rules")(e.to_string()))?
                .map_err(|e| unavailable("case rules")(e.to_string()))?;
            Ok(Some(CaseDetail {
                id: c.id,
                ten_tinh: province_name(&c.ma_tinh),
                don_vi_ten: names
                    .units
                    .get(&c.don_vi_id)
                    .map(|u| u.1.clone())
                    .unwrap_or_default(),
                can_bo_ten: c
                    .chap_hanh_vien_id
                    .and_then(|id| names.officers.get(&id))
                    .map(|o| o.0.clone()),
                ma_viec: c.ma_viec,
                ma_tinh: c.ma_tinh,
                don_vi_id: c.don_vi_id,
                can_bo_id: c.chap_hanh_vien_id,
                loai_an: c.loai_an,
                hinh_thuc: c.hinh_thuc,
                trang_thai: c.trang_thai,
                co_dieu_kien: c.co_dieu_kien == 1,
                ngay_thu_ly: iso(c.ngay_thu_ly),
                ngay_ra_quyet_dinh: c.ngay_ra_quyet_dinh.map(iso),
                ngay_xac_minh: c.ngay_xac_minh.map(iso),
                ngay_ket_thuc: c.ngay_ket_thuc.map(iso),
                so_tien_phai_thi_hanh: c.so_tien_phai_thi_hanh,
                so_tien_da_thi_hanh: c.so_tien_da_thi_hanh,
                overdue_rules: rules
                    .iter()
                    .map(|r| format!("{} — {}", r.code(), r.label()))
                    .collect(),
                timeline,
            }))
        })
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `GET /api/viec-qua-han.csv`: the overdue list with the filters of the query string (the
/// same as the pages'), confined to the caller's scope, at most [`CSV_MAX_ROWS`] rows, UTF-8
/// with a byte-order mark (spreadsheets then read the diacritics right).
pub async fn csv(
    AxumState(state): AxumState<crate::State>,
    scope: Option<axum::Extension<Scope>>,
    user: Option<axum::Extension<queries::access::User>>,
    Query(q): Query<OverdueQuery>,
) -> Response {
    // The auth middleware answers 401 before an anonymous request gets here; never widen.
    let (Some(axum::Extension(scope)), Some(axum::Extension(user))) = (scope, user) else {
        return (axum::http::StatusCode::UNAUTHORIZED, "").into_response();
    };
    if let Err(wait) = state.exports.take(user.id) {
        return (
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            [(axum::http::header::RETRY_AFTER, wait.seconds().to_string())],
            t::EXPORT_RATE,
        )
            .into_response();
    }
    let filters = serde_json::to_value(&q).unwrap_or_default();
    let result = async {
        let q = app::dash::confine(&scope, q)?;
        state.app.data.overdue_export(q, CSV_MAX_ROWS).await
    }
    .await;
    // Every export is audited, with its filters and row count (or the refusal).
    let (outcome, rows_n) = match &result {
        Ok(rows) => (crate::audit::outcome::OK, rows.len()),
        Err(AppError::Forbidden(_)) => (crate::audit::outcome::DENIED, 0),
        Err(_) => (crate::audit::outcome::FAILED, 0),
    };
    crate::audit::record_or_log(
        &state.store,
        &crate::audit::AuditEntry::new(crate::audit::action::EXPORT, outcome)
            .by(&user)
            .detail(serde_json::json!({"export": "viec-qua-han.csv", "filters": filters, "rows": rows_n})),
    )
    .await;
    match result {
        Ok(rows) => {
            let mut out = String::from("\u{feff}");
            out.push_str(t::CSV_HEADER);
            out.push_str("\r\n");
            for r in rows {
                let fields = [
                    r.rule,
                    r.rule_label,
                    r.subject_id.to_string(),
                    r.ma_viec.unwrap_or_default(),
                    r.loai_an
                        .as_deref()
                        .map(t::code_name)
                        .unwrap_or("")
                        .to_string(),
                    r.trang_thai
                        .as_deref()
                        .map(t::code_name)
                        .unwrap_or("")
                        .to_string(),
                    r.ngay_thu_ly
                        .as_deref()
                        .map(app::text::format_date)
                        .unwrap_or_default(),
                    r.so_tien_phai_thi_hanh
                        .map(|v| v.to_string())
                        .unwrap_or_default(),
                    r.ma_tinh.unwrap_or_default(),
                    r.don_vi_ten.unwrap_or_default(),
                    r.can_bo_ten.unwrap_or_default(),
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                out.push_str(&line.join(","));
                out.push_str("\r\n");
            }
            let mut headers = HeaderMap::new();
            headers.insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            headers.insert(
                header::CONTENT_DISPOSITION,
                header::HeaderValue::from_static("attachment; filename=\"viec-qua-han.csv\""),
            );
            (StatusCode::OK, headers, out).into_response()
        }
        Err(e) => {
            let code =
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (code, e.to_string()).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_validate_codes() {
        let q = OverdueQuery {
            quy_tac: Some("QH03".into()),
            loai_an: Some("ds".into()),
            sap_xep: Some("tien".into()),
            giam: Some(true),
            ..Default::default()
        };
        let f = filter_of(&q, 50, 50).unwrap();
        assert_eq!(f.rule, Some(RuleId::Qh03));
        assert_eq!(f.sort, OverdueSort::SoTien);
        assert!(f.descending);
        for bad in [
            OverdueQuery {
                quy_tac: Some("QH99".into()),
                ..Default::default()
            },
            OverdueQuery {
                loai_an: Some("x".into()),
                ..Default::default()
            },
            OverdueQuery {
                sap_xep: Some("x".into()),
                ..Default::default()
            },
        ] {
            assert!(matches!(filter_of(&bad, 0, 50), Err(AppError::Invalid(_))));
        }
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("x\"y"), "\"x\"\"y\"");
    }
}
