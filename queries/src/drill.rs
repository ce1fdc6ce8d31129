//! Drill-down lists over the analytical frames, for the provincial and national views: the
//! rows the overdue rules flag (DOMAIN.md §3, the same rules as [`crate::kpi`]) joined with
//! their case, filtered by scope, rule, case type, office and officer, sorted and paged; and the
//! open tasks of the wall display.
//!
//! [`overdue_table`] is built once per snapshot (it evaluates every rule over the big tables);
//! [`OverdueTable::page`] then filters that small frame per request.

use chrono::NaiveDate;
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::frames::Frames;
use crate::kpi::{self, names as n, RuleId, RuleParams};
use crate::schema::Table;

/// Most rows one call returns (a page is 50; the CSV export takes up to this many).
pub const MAX_PAGE: usize = 100_000;

/// How the overdue list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverdueSort {
    /// Intake date of the case (oldest first when ascending).
    #[default]
    NgayThuLy,
    /// Amount to enforce.
    SoTien,
    /// Rule id, then case number.
    QuyTac,
    /// Case number.
    MaViec,
}

impl OverdueSort {
    /// Parses the query-string value (`ngay`, `tien`, `quy_tac`, `ma`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ngay" => Some(Self::NgayThuLy),
            "tien" => Some(Self::SoTien),
            "quy_tac" => Some(Self::QuyTac),
            "ma" => Some(Self::MaViec),
            _ => None,
        }
    }

    /// The query-string value.
    pub const fn code(self) -> &'static str {
        match self {
            Self::NgayThuLy => "ngay",
            Self::SoTien => "tien",
            Self::QuyTac => "quy_tac",
            Self::MaViec => "ma",
        }
    }

    fn column(self) -> &'static str {
        match self {
            Self::NgayThuLy => "ngay_thu_ly",
            Self::SoTien => "so_tien_phai_thi_hanh",
            Self::QuyTac => n::RULE,
            Self::MaViec => "ma_viec",
        }
    }
}

/// What to list. `None` fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OverdueFilter {
    pub ma_tinh: Option<String>,
    pub don_vi_id: Option<i64>,
    pub can_bo_id: Option<i64>,
    pub rule: Option<RuleId>,
    /// `viec_thi_hanh.loai_an` code (`ds`, `hs`, …).
    pub loai_an: Option<String>,
    pub sort: OverdueSort,
    pub descending: bool,
    pub offset: usize,
    pub limit: usize,
}

/// One flagged row with its case (when the rule flags a case or a row about one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverdueItem {
    pub rule: RuleId,
    /// Id of the flagged row in the rule's subject table ([`RuleId::subject`]).
    pub subject_id: i64,
    pub viec_id: Option<i64>,
    pub ma_viec: Option<String>,
    pub loai_an: Option<String>,
    pub trang_thai: Option<String>,
    /// ISO date.
    pub ngay_thu_ly: Option<String>,
    pub so_tien_phai_thi_hanh: Option<i64>,
    pub ma_tinh: Option<String>,
    pub don_vi_id: Option<i64>,
    pub can_bo_id: Option<i64>,
}

/// One page of the overdue list and the number of rows matching the filter.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OverduePage {
    pub total: usize,
    pub items: Vec<OverdueItem>,
}

/// An open task (`nhiem_vu` in `moi` or `dang_thuc_hien`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenTask {
    pub id: i64,
    pub tieu_de: String,
    pub don_vi_id: i64,
    /// ISO date.
    pub han_hoan_thanh: String,
    pub tien_do: i64,
    pub trang_thai: String,
    /// The deadline has passed (QH15).
    pub overdue: bool,
}

/// Every flagged row of every rule at one as-of date, joined with the case columns the list
/// shows. Build it once per snapshot with [`overdue_table`]; read it with [`OverdueTable::page`].
#[derive(Debug, Clone)]
pub struct OverdueTable {
    df: DataFrame,
}

/// Builds the [`OverdueTable`] of `frames` at `as_of`.
///
/// # Errors
/// [`crate::Error::Calendar`] when `lich` lacks as-of; [`crate::Error::Polars`] if a plan fails.
pub fn overdue_table(frames: &Frames, as_of: NaiveDate) -> Result<OverdueTable> {
    let rules = RuleParams::new(frames, as_of)?;
    let flags = kpi::overdue_flags(frames, &rules)?;
    let cases = frames.lazy(Table::ViecThiHanh).select([
        col("id").alias("__case_id"),
        col("ma_viec"),
        col("loai_an"),
        col("trang_thai"),
        col("ngay_thu_ly"),
        col("so_tien_phai_thi_hanh"),
    ]);
    let df = flags
        .left_join(cases, col(n::VIEC_ID), col("__case_id"))
        .collect()?;
    Ok(OverdueTable { df })
}

fn matches(filter: &OverdueFilter) -> Expr {
    let mut e = lit(true);
    if let Some(t) = &filter.ma_tinh {
        e = e.and(col(n::MA_TINH).eq(lit(t.clone())));
    }
    if let Some(d) = filter.don_vi_id {
        e = e.and(col(n::DON_VI_ID).eq(lit(d)));
    }
    if let Some(c) = filter.can_bo_id {
        e = e.and(col(n::CAN_BO_ID).eq(lit(c)));
    }
    if let Some(r) = filter.rule {
        e = e.and(col(n::RULE).eq(lit(r.code())));
    }
    if let Some(l) = &filter.loai_an {
        e = e.and(col("loai_an").eq(lit(l.clone())));
    }
    e
}

fn count(lf: LazyFrame) -> Result<usize> {
    let n = lf
        .select([len().alias("n")])
        .collect()?
        .column("n")?
        .cast(&DataType::Int64)?
        .i64()?
        .get(0)
        .unwrap_or(0);
    Ok(usize::try_from(n).unwrap_or(0))
}

impl OverdueTable {
    /// Wraps a frame with the columns [`overdue_table`] produces (for tests and tools).
    pub fn from_frame(df: DataFrame) -> Self {
        Self { df }
    }

    /// Number of flagged rows.
    pub fn len(&self) -> usize {
        self.df.height()
    }

    /// `true` when no rule flags anything.
    pub fn is_empty(&self) -> bool {
        self.df.height() == 0
    }

    /// Filters, sorts and pages the table. Ties are broken by rule and subject id, so pages
    /// are stable.
    ///
    /// # Errors
    /// [`crate::Error::Polars`] if the table lacks a column.
    pub fn page(&self, filter: &OverdueFilter) -> Result<OverduePage> {
        let filtered = self.df.clone().lazy().filter(matches(filter));
        let total = count(filtered.clone())?;
        let limit = filter.limit.clamp(1, MAX_PAGE);
        let sort_col = filter.sort.column();
        let mut by = vec![sort_col, n::RULE, n::ID];
        by.dedup();
        let descending: Vec<bool> = (0..by.len()).map(|i| i == 0 && filter.descending).collect();
        let page = filtered
            .sort(
                by,
                SortMultipleOptions::default()
                    .with_order_descending_multi(descending)
                    .with_nulls_last(true),
            )
            .slice(
                i64::try_from(filter.offset).unwrap_or(i64::MAX),
                u32::try_from(limit).unwrap_or(u32::MAX),
            )
            .collect()?;
        Ok(OverduePage {
            total,
            items: items(&page)?,
        })
    }

    /// The rules flagging case `viec_id` (or a row about it), in rule order.
    ///
    /// # Errors
    /// [`crate::Error::Polars`] if the table lacks a column.
    pub fn rules_of_case(&self, viec_id: i64) -> Result<Vec<RuleId>> {
        let df = self
            .df
            .clone()
            .lazy()
            .filter(col(n::VIEC_ID).eq(lit(viec_id)))
            .select([col(n::RULE)])
            .collect()?;
        let mut rules: Vec<RuleId> = texts(&df, n::RULE)?
            .into_iter()
            .flatten()
            .filter_map(|c| rule_of(&c))
            .collect();
        rules.sort();
        rules.dedup();
        Ok(rules)
    }
}

fn ints(df: &DataFrame, name: &str) -> Result<Vec<Option<i64>>> {
    let c = df.column(name)?.cast(&DataType::Int64)?;
    Ok(c.i64()?.iter().collect())
}

fn texts(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>> {
    let c = df.column(name)?.cast(&DataType::String)?;
    Ok(c.str()?.iter().map(|s| s.map(str::to_owned)).collect())
}

fn rule_of(code: &str) -> Option<RuleId> {
    RuleId::ALL.into_iter().find(|r| r.code() == code)
}

fn items(df: &DataFrame) -> Result<Vec<OverdueItem>> {
    let rule = texts(df, n::RULE)?;
    let id = ints(df, n::ID)?;
    let viec = ints(df, n::VIEC_ID)?;
    let ma_viec = texts(df, "ma_viec")?;
    let loai_an = texts(df, "loai_an")?;
    let trang_thai = texts(df, "trang_thai")?;
    let ngay = texts(df, "ngay_thu_ly")?;
    let tien = ints(df, "so_tien_phai_thi_hanh")?;
    let tinh = texts(df, n::MA_TINH)?;
    let don_vi = ints(df, n::DON_VI_ID)?;
    let can_bo = ints(df, n::CAN_BO_ID)?;
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let Some(rule) = rule[i].as_deref().and_then(rule_of) else {
            continue;
        };
        out.push(OverdueItem {
            rule,
            subject_id: id[i].unwrap_or(0),
            viec_id: viec[i],
            ma_viec: ma_viec[i].clone(),
            loai_an: loai_an[i].clone(),
            trang_thai: trang_thai[i].clone(),
            ngay_thu_ly: ngay[i].clone(),
            so_tien_phai_thi_hanh: tien[i],
            ma_tinh: tinh[i].clone(),
            don_vi_id: don_vi[i],
            can_bo_id: can_bo[i],
        });
    }
    Ok(out)
}

/// The open tasks with the earliest deadlines (at most `limit`), and how many are open in all.
///
/// # Errors
/// [`crate::Error::Polars`] if a plan fails.
pub fn open_tasks(
    frames: &Frames,
    as_of: NaiveDate,
    limit: usize,
) -> Result<(usize, Vec<OpenTask>)> {
    let open = frames.lazy(Table::NhiemVu).filter(task_is_open());
    let total = count(open.clone())?;
    let df = open
        .sort(
            ["han_hoan_thanh", "id"],
            SortMultipleOptions::default().with_nulls_last(true),
        )
        .limit(u32::try_from(limit).unwrap_or(u32::MAX))
        .collect()?;
    let id = ints(&df, "id")?;
    let title = texts(&df, "tieu_de")?;
    let unit = ints(&df, "don_vi_id")?;
    let due = texts(&df, "han_hoan_thanh")?;
    let progress = ints(&df, "tien_do")?;
    let status = texts(&df, "trang_thai")?;
    let as_of_iso = as_of.format("%Y-%m-%d").to_string();
    let tasks = (0..df.height())
        .map(|i| {
            let due = due[i].clone().unwrap_or_default();
            OpenTask {
                id: id[i].unwrap_or(0),
                tieu_de: title[i].clone().unwrap_or_default(),
                don_vi_id: unit[i].unwrap_or(0),
                overdue: !due.is_empty() && due < as_of_iso,
                han_hoan_thanh: due,
                tien_do: progress[i].unwrap_or(0),
                trang_thai: status[i].clone().unwrap_or_default(),
            }
        })
        .collect();
    Ok((total, tasks))
}

/// A task still to be done (`moi` or `dang_thuc_hien`).
fn task_is_open() -> Expr {
    col("trang_thai")
        .eq(lit("moi"))
        .or(col("trang_thai").eq(lit("dang_thuc_hien")))
}

/// The open tasks of one assignee unit, and how many of them are past their deadline (QH15).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitTaskCount {
    pub don_vi_id: i64,
    pub open: u64,
    pub overdue: u64,
}

/// [`UnitTaskCount`] of every unit with an open task, by `don_vi_id`.
///
/// # Errors
/// [`crate::Error::Polars`] if the plan fails.
pub fn open_tasks_by_unit(frames: &Frames, as_of: NaiveDate) -> Result<Vec<UnitTaskCount>> {
    let as_of_iso = as_of.format("%Y-%m-%d").to_string();
    let df = frames
        .lazy(Table::NhiemVu)
        .filter(task_is_open())
        .group_by([col("don_vi_id")])
        .agg([
            len().alias("open"),
            col("han_hoan_thanh")
                .cast(DataType::String)
                .lt(lit(as_of_iso))
                .sum()
                .alias("overdue"),
        ])
        .sort(["don_vi_id"], SortMultipleOptions::default())
        .collect()?;
    let unit = ints(&df, "don_vi_id")?;
    let open = ints(&df, "open")?;
    let overdue = ints(&df, "overdue")?;
    let count = |x: Option<i64>| u64::try_from(x.unwrap_or(0)).unwrap_or(0);
    Ok((0..df.height())
        .filter_map(|i| {
            Some(UnitTaskCount {
                don_vi_id: unit[i]?,
                open: count(open[i]),
                overdue: count(overdue[i]),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Five tasks of the `nhiem_vu` columns in schema order: unit 10 has two open tasks, one
    /// past its deadline; unit 11 one open task due on the report date (not overdue); a done
    /// and a cancelled task count for nobody.
    fn tasks() -> Frames {
        use crate::frames::ColumnData;
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        let rows: [(i64, i64, &str, &str); 5] = [
            (1, 10, "2026-11-19", "moi"),
            (2, 10, "2026-11-25", "dang_thuc_hien"),
            (3, 11, "2026-11-20", "moi"),
            (4, 11, "2026-11-01", "hoan_thanh"),
            (5, 12, "2026-11-01", "huy"),
        ];
        let text = |v: &str| ColumnData::Text(rows.iter().map(|_| Some(v.to_owned())).collect());
        let mut f = Frames::new();
        f.set_table(
            Table::NhiemVu,
            vec![
                ColumnData::Int(rows.iter().map(|r| Some(r.0)).collect()),
                text("tiêu đề"),
                text("nội dung"),
                text("ra_soat"),
                ColumnData::Int(rows.iter().map(|r| Some(r.1)).collect()),
                ColumnData::Int(rows.iter().map(|_| None).collect()),
                ColumnData::Date(rows.iter().map(|_| d("2026-11-01")).collect()),
                ColumnData::Date(rows.iter().map(|r| d(r.2)).collect()),
                ColumnData::Text(rows.iter().map(|r| Some(r.3.to_owned())).collect()),
                ColumnData::Int(rows.iter().map(|_| Some(0)).collect()),
                ColumnData::Date(rows.iter().map(|_| None).collect()),
                ColumnData::Int(rows.iter().map(|_| None).collect()),
                ColumnData::Text(rows.iter().map(|_| None).collect()),
                ColumnData::Text(rows.iter().map(|_| None).collect()),
            ],
        )
        .expect("nhiem_vu");
        f
    }

    #[test]
    fn open_tasks_are_counted_per_unit_with_the_overdue_ones() {
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
        let counts = open_tasks_by_unit(&tasks(), as_of).expect("counts");
        let unit = |don_vi_id, open, overdue| UnitTaskCount {
            don_vi_id,
            open,
            overdue,
        };
        assert_eq!(counts, vec![unit(10, 2, 1), unit(11, 1, 0)]);
    }

    fn table() -> OverdueTable {
        OverdueTable::from_frame(
            df!(
                n::RULE => ["QH03", "QH11", "QH03", "QH12"],
                n::ID => [1i64, 2, 3, 9],
                n::VIEC_ID => [Some(1i64), Some(2), Some(3), None],
                n::MA_TINH => ["01", "01", "79", "01"],
                n::DON_VI_ID => [10i64, 11, 20, 10],
                n::CAN_BO_ID => [Some(100i64), Some(101), Some(200), None],
                "ma_viec" => [Some("01-A"), Some("01-B"), Some("79-C"), None],
                "loai_an" => [Some("ds"), Some("hs"), Some("ds"), None],
                "trang_thai" => [Some("dang_thi_hanh"), Some("hoan"), Some("dang_thi_hanh"), None],
                "ngay_thu_ly" => [Some("2025-03-01"), Some("2024-01-05"), Some("2026-01-01"), None],
                "so_tien_phai_thi_hanh" => [Some(5i64), Some(50), Some(7), None]
            )
            .unwrap(),
        )
    }

    #[test]
    fn filters_by_province_rule_and_type() {
        let t = table();
        let f = OverdueFilter {
            ma_tinh: Some("01".into()),
            limit: 50,
            ..Default::default()
        };
        let p = t.page(&f).unwrap();
        assert_eq!(p.total, 3);
        // Oldest intake first, the petition (no case) last.
        let ids: Vec<i64> = p.items.iter().map(|i| i.subject_id).collect();
        assert_eq!(ids, vec![2, 1, 9]);

        let f = OverdueFilter {
            rule: Some(RuleId::Qh03),
            loai_an: Some("ds".into()),
            limit: 50,
            ..Default::default()
        };
        let p = t.page(&f).unwrap();
        assert_eq!(p.total, 2);
        assert!(p.items.iter().all(|i| i.rule == RuleId::Qh03));
    }

    #[test]
    fn sorts_and_pages() {
        let t = table();
        let f = OverdueFilter {
            sort: OverdueSort::SoTien,
            descending: true,
            offset: 1,
            limit: 2,
            ..Default::default()
        };
        let p = t.page(&f).unwrap();
        assert_eq!(p.total, 4);
        let ids: Vec<i64> = p.items.iter().map(|i| i.subject_id).collect();
        assert_eq!(ids, vec![3, 1]);
        assert_eq!(p.items[0].ma_viec.as_deref(), Some("79-C"));
        assert_eq!(OverdueSort::parse("tien"), Some(OverdueSort::SoTien));
        assert_eq!(OverdueSort::parse("x"), None);
        assert_eq!(t.rules_of_case(2).unwrap(), vec![RuleId::Qh11]);
        assert!(t.rules_of_case(9).unwrap().is_empty());
    }
}
