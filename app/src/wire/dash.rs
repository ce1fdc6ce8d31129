//! Wire types of the dashboards: the wall display (`/man-hinh`), the national and provincial
//! views and their drill-down (office, officer, case). Every figure is read from the published
//! KPI snapshot (or, for lists of cases, from the store); none is recomputed here.

use serde::{Deserialize, Serialize};

/// The KPIs of one unit — the country, a province, an office or an officer — for the running
/// statistical year. Counts are cases, money is in đồng, rates are percentages.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UnitKpi {
    /// `VN`, `ma_tinh`, `don_vi.ma` or `can_bo.id`.
    pub key: String,
    /// Display name (province, office or officer name).
    pub name: String,
    /// Name of the unit above (the office of an officer, the province of an office).
    pub parent: String,
    pub ma_tinh: Option<String>,
    pub don_vi_id: Option<i64>,
    pub can_bo_id: Option<i64>,
    pub cases_to_enforce: u64,
    pub cases_with_conditions: u64,
    pub cases_done: u64,
    pub cases_new: u64,
    pub done_rate_cases: Option<f64>,
    pub target_rate_cases: Option<f64>,
    pub money_with_conditions: i64,
    pub money_done: i64,
    pub done_rate_money: Option<f64>,
    pub target_rate_money: Option<f64>,
    pub meets_target: Option<bool>,
    pub backlog: u64,
    pub overdue_total: u64,
    pub officers: u64,
    pub done_per_officer: Option<f64>,
    pub receipts_today: u64,
    pub receipts_today_amount: i64,
    pub complaints_open: u64,
}

/// K9 of one overdue rule within the caller's view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleCount {
    /// `QH01` … `QH16`.
    pub code: String,
    pub label: String,
    pub total: u64,
}

/// Changes shown under the wall display's cards, read from the monthly series of the snapshot.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct KpiChanges {
    /// Cumulative K4 at the end of the previous month (percent), to compare with today's.
    pub done_rate_cases_last_month: Option<f64>,
    /// Cases received (K6) this month and last month.
    pub cases_new_this_month: Option<u64>,
    pub cases_new_last_month: Option<u64>,
    /// Cases finished (X) this month and last month.
    pub cases_done_this_month: Option<u64>,
    pub cases_done_last_month: Option<u64>,
    /// Valid receipts collected this month and last month, in đồng.
    pub receipts_this_month: Option<i64>,
    pub receipts_last_month: Option<i64>,
    /// Petitions received this month and last month.
    pub complaints_this_month: Option<u64>,
    pub complaints_last_month: Option<u64>,
}

/// One tile of the province cartogram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProvinceTile {
    pub ma_tinh: String,
    pub ten: String,
    /// Short label printed on the tile.
    pub short: String,
    pub row: u8,
    pub col: u8,
    pub done_rate_cases: Option<f64>,
    pub target_rate_cases: Option<f64>,
    pub done_rate_money: Option<f64>,
    /// The national completion by cases, the colour's reference.
    pub national_rate_cases: Option<f64>,
    pub overdue_total: u64,
    /// One of the weakest provinces (called out on the map).
    pub weakest: bool,
}

/// An open task on the wall display.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskItem {
    pub id: i64,
    pub title: String,
    /// Assignee unit name.
    pub unit: String,
    /// ISO date.
    pub due: String,
    /// 0..100.
    pub progress: i64,
    pub overdue: bool,
}

/// Everything the wall display shows, for one snapshot version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WallData {
    pub version: u64,
    /// ISO as-of date of the data.
    pub as_of: String,
    /// Statistical year shown (e.g. 2027 for 1/10/2026–30/9/2027).
    pub year: i32,
    /// Server time of this read, milliseconds since the Unix epoch.
    pub read_at_ms: i64,
    pub national: UnitKpi,
    /// The national KPIs at the previous day's report date (`None` until computed).
    pub yesterday: Option<UnitKpi>,
    pub changes: KpiChanges,
    pub tiles: Vec<ProvinceTile>,
    /// The weakest provinces by completion (cases), weakest first.
    pub weakest: Vec<UnitKpi>,
    pub overdue_rules: Vec<RuleCount>,
    /// Trend charts as SVG documents, drawn on the server.
    pub chart_cases_svg: String,
    pub chart_money_svg: String,
    pub tasks_open: usize,
    pub tasks: Vec<TaskItem>,
}

/// What the leadership's home (`/`) leads with: what needs attention today.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attention {
    /// ISO as-of date of the data.
    pub as_of: String,
    /// The weakest provinces by completion (cases), weakest first.
    pub weakest: Vec<UnitKpi>,
    /// Provinces whose overdue count (K9) rose since the day before, with the rise, largest
    /// first; `None` while the day before has not been computed.
    pub breaches: Option<Vec<(UnitKpi, u64)>>,
    /// Open tasks past their deadline (the earliest deadlines first) and how many there are.
    pub tasks_late: Vec<TaskItem>,
    pub tasks_late_total: u64,
    /// The alerts raised since the user's previous visit (all that the server keeps on a first
    /// visit), newest first.
    pub alerts: Vec<crate::wire::Alert>,
    /// Whether `alerts` starts at a previous visit.
    pub alerts_since_visit: bool,
}

/// The national view (`/ca-nuoc`) or a province (`/tinh/:ma_tinh`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaView {
    pub version: u64,
    pub as_of: String,
    pub year: i32,
    /// `None` for the national view.
    pub ma_tinh: Option<String>,
    /// The area itself.
    pub unit: UnitKpi,
    /// The country, for comparison.
    pub national: UnitKpi,
    /// Provinces (national view) or offices (province), best completion first.
    pub children: Vec<UnitKpi>,
    /// Officers by open caseload, largest first (at most [`AreaView::OFFICER_LIMIT`]).
    pub officers: Vec<UnitKpi>,
    /// Officers in the area in all.
    pub officers_total: usize,
    pub overdue_rules: Vec<RuleCount>,
    /// Offices of the area, for the list filter: `(don_vi_id, name)`.
    pub offices: Vec<(i64, String)>,
    /// Trend chart of the area (SVG, drawn on the server).
    pub chart_svg: String,
}

impl AreaView {
    /// Most officers listed in the workload table.
    pub const OFFICER_LIMIT: usize = 100;
}

/// A regional office (`/don-vi/:id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfficeView {
    pub as_of: String,
    pub unit: UnitKpi,
    pub province: UnitKpi,
    /// Officers of the office, largest open caseload first.
    pub officers: Vec<UnitKpi>,
}

/// A case in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseRow {
    pub id: i64,
    pub ma_viec: String,
    pub loai_an: String,
    pub trang_thai: String,
    /// ISO date.
    pub ngay_thu_ly: String,
    pub so_tien_phai_thi_hanh: i64,
    pub so_tien_da_thi_hanh: i64,
}

/// A chấp hành viên (`/can-bo/:id`) and their open cases (one page).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfficerView {
    pub as_of: String,
    pub unit: UnitKpi,
    pub office: UnitKpi,
    pub province_name: String,
    pub open_cases_total: usize,
    pub page: usize,
    pub open_cases: Vec<CaseRow>,
}

/// One dated event in a case's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// ISO date.
    pub date: String,
    /// `quyet_dinh`, `xac_minh`, `bien_phap`, `bien_lai`, `don_thu`, `thu_ly`, `ket_thuc`.
    pub kind: String,
    /// Code of the entry within its kind (decision type, measure type, petition type, …).
    pub code: String,
    /// Number or reference (decision number, receipt number, amount).
    pub detail: String,
}

/// A case (`/viec/:id`) with its timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseDetail {
    pub id: i64,
    pub ma_viec: String,
    pub ma_tinh: String,
    pub ten_tinh: String,
    pub don_vi_id: i64,
    pub don_vi_ten: String,
    pub can_bo_id: Option<i64>,
    pub can_bo_ten: Option<String>,
    pub loai_an: String,
    pub hinh_thuc: String,
    pub trang_thai: String,
    pub co_dieu_kien: bool,
    pub ngay_thu_ly: String,
    pub ngay_ra_quyet_dinh: Option<String>,
    pub ngay_xac_minh: Option<String>,
    pub ngay_ket_thuc: Option<String>,
    pub so_tien_phai_thi_hanh: i64,
    pub so_tien_da_thi_hanh: i64,
    /// Rules flagging the case now (codes).
    pub overdue_rules: Vec<String>,
    /// Oldest first.
    pub timeline: Vec<TimelineEntry>,
}

/// The overdue list's filters, as they appear in the query string (shareable links).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OverdueQuery {
    /// Province code; `None` = the whole country (national scope only).
    pub tinh: Option<String>,
    pub don_vi: Option<i64>,
    pub can_bo: Option<i64>,
    /// `QH01` … `QH16`.
    pub quy_tac: Option<String>,
    /// Case type (`ds`, `hs`, …).
    pub loai_an: Option<String>,
    /// `ngay`, `tien`, `quy_tac` or `ma`.
    pub sap_xep: Option<String>,
    /// Descending order when `true`.
    pub giam: Option<bool>,
    /// 1-based page.
    pub trang: Option<usize>,
}

impl OverdueQuery {
    /// Rows per page.
    pub const PAGE_SIZE: usize = 50;

    /// The query string of these filters (without `?`), for links and the CSV export.
    pub fn to_query_string(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut push = |k: &str, v: Option<String>| {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                parts.push(format!("{k}={}", encode(&v)));
            }
        };
        push("tinh", self.tinh.clone());
        push("don_vi", self.don_vi.map(|v| v.to_string()));
        push("can_bo", self.can_bo.map(|v| v.to_string()));
        push("quy_tac", self.quy_tac.clone());
        push("loai_an", self.loai_an.clone());
        push("sap_xep", self.sap_xep.clone());
        push("giam", self.giam.filter(|g| *g).map(|_| "true".to_string()));
        push(
            "trang",
            self.trang.filter(|p| *p > 1).map(|p| p.to_string()),
        );
        parts.join("&")
    }
}

/// Percent-encodes a query-string value (codes are ASCII; anything else is escaped).
fn encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One row of the overdue list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverdueRow {
    pub rule: String,
    pub rule_label: String,
    pub subject_id: i64,
    pub viec_id: Option<i64>,
    pub ma_viec: Option<String>,
    pub loai_an: Option<String>,
    pub trang_thai: Option<String>,
    pub ngay_thu_ly: Option<String>,
    pub so_tien_phai_thi_hanh: Option<i64>,
    pub ma_tinh: Option<String>,
    pub don_vi_id: Option<i64>,
    pub don_vi_ten: Option<String>,
    pub can_bo_id: Option<i64>,
    pub can_bo_ten: Option<String>,
}

/// One page of the overdue list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverdueList {
    pub total: usize,
    /// 1-based.
    pub page: usize,
    pub page_size: usize,
    pub rows: Vec<OverdueRow>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_string_round_trips_the_filters() {
        let q = OverdueQuery {
            tinh: Some("01".into()),
            quy_tac: Some("QH03".into()),
            giam: Some(true),
            trang: Some(2),
            ..Default::default()
        };
        assert_eq!(
            q.to_query_string(),
            "tinh=01&quy_tac=QH03&giam=true&trang=2"
        );
        assert_eq!(OverdueQuery::default().to_query_string(), "");
        assert_eq!(encode("a b&c"), "a%20b%26c");
    }
}
