//! Live alerts of the operations center, detected per micro-batch by [`crate::engine`]:
//! - **overdue breach**: a row newly flagged by an overdue rule (QH01–QH16) — a flag the batch
//!   created, not one the data already had;
//! - **large payment**: a valid receipt (`bien_lai.trang_thai = 'hop_le'`) of at least
//!   [`AlertConfig::large_payment_dong`] (default 1 tỷ đồng) that the batch inserted or made
//!   valid / large;
//! - **new complaint**: a `don_thu` row of `loai = 'khieu_nai'` that the batch inserted.
//!
//! Pure functions over small frames (the batch, the old rows it replaced); the Vietnamese
//! headline and detail are built here so every screen shows the same words. The `server` turns
//! [`Alert`] into the wire type `app::wire::Alert` (same fields, plus the version).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::frames::{date_from_epoch_days, Frames};
use crate::kpi::{names as n, RuleId};
use crate::org;
use crate::schema::Table;

/// Thresholds of the alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertConfig {
    /// A valid receipt of at least this many đồng is a large payment.
    pub large_payment_dong: i64,
}

impl Default for AlertConfig {
    fn default() -> Self {
        Self {
            large_payment_dong: 1_000_000_000,
        }
    }
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    OverdueBreach,
    LargePayment,
    NewComplaint,
}

/// One alert (the wire type `app::wire::Alert` has the same fields plus the version).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// `overdue:<QHxx>:<id>`, `payment:<bien_lai.id>` or `complaint:<don_thu.id>`.
    pub id: String,
    pub kind: AlertKind,
    /// Province code, empty for a Cục-level row.
    pub ma_tinh: String,
    pub ten_tinh: String,
    pub title: String,
    pub detail: String,
    pub amount: Option<i64>,
    /// When it was detected (ISO 8601, given by the caller).
    pub at: String,
}

/// One row of a flag frame (see [`crate::kpi::overdue_rule`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagRow {
    pub rule: RuleId,
    pub id: i64,
    pub viec_id: Option<i64>,
    pub ma_tinh: Option<String>,
    pub don_vi_id: Option<i64>,
}

fn ints(df: &DataFrame, column: &str) -> Result<Vec<Option<i64>>> {
    let c = df.column(column)?.cast(&DataType::Int64)?;
    Ok(c.i64()?.iter().collect())
}

fn texts(df: &DataFrame, column: &str) -> Result<Vec<Option<String>>> {
    let c = df.column(column)?.cast(&DataType::String)?;
    Ok(c.str()?.iter().map(|s| s.map(str::to_owned)).collect())
}

fn dates(df: &DataFrame, column: &str) -> Result<Vec<Option<NaiveDate>>> {
    let c = df.column(column)?.cast(&DataType::Int32)?;
    Ok(c.i32()?
        .iter()
        .map(|d| d.and_then(date_from_epoch_days))
        .collect())
}

/// Reads a collected flag frame.
///
/// # Errors
/// [`crate::Error::Polars`] when a flag column is missing.
pub fn flag_rows(df: &DataFrame) -> Result<Vec<FlagRow>> {
    if df.height() == 0 {
        return Ok(Vec::new());
    }
    let rules = texts(df, n::RULE)?;
    let ids = ints(df, n::ID)?;
    let cases = ints(df, n::VIEC_ID)?;
    let provinces = texts(df, n::MA_TINH)?;
    let units = ints(df, n::DON_VI_ID)?;
    Ok(rules
        .into_iter()
        .zip(ids)
        .zip(cases.into_iter().zip(provinces).zip(units))
        .filter_map(|((rule, id), ((viec_id, ma_tinh), don_vi_id))| {
            let rule = RuleId::ALL
                .into_iter()
                .find(|r| Some(r.code()) == rule.as_deref())?;
            Some(FlagRow {
                rule,
                id: id?,
                viec_id,
                ma_tinh,
                don_vi_id,
            })
        })
        .collect())
}

/// The flags of `new` that `old` does not have (by rule and flagged id), in rule, id order.
pub fn new_flags(old: &[FlagRow], new: &[FlagRow]) -> Vec<FlagRow> {
    let before: HashSet<(RuleId, i64)> = old.iter().map(|f| (f.rule, f.id)).collect();
    let mut seen = HashSet::new();
    let mut out: Vec<FlagRow> = new
        .iter()
        .filter(|f| !before.contains(&(f.rule, f.id)) && seen.insert((f.rule, f.id)))
        .cloned()
        .collect();
    out.sort_by_key(|f| (f.rule, f.id));
    out
}

/// Names for the alert texts: offices and the cases at hand.
pub struct Names {
    /// `don_vi.id` → (`ten`, `ma_tinh`).
    units: HashMap<i64, (String, Option<String>)>,
    /// `viec_thi_hanh.id` → `ma_viec`.
    cases: HashMap<i64, String>,
}

impl Names {
    /// Offices from `frames`, case numbers from `cases` (a `viec_thi_hanh` frame, possibly
    /// empty).
    ///
    /// # Errors
    /// [`crate::Error::Polars`] when a column is missing.
    pub fn new(frames: &Frames, cases: &DataFrame) -> Result<Self> {
        let dv = frames.frame(Table::DonVi);
        let units = ints(dv, "id")?
            .into_iter()
            .zip(texts(dv, "ten")?.into_iter().zip(texts(dv, "ma_tinh")?))
            .filter_map(|(id, (ten, ma_tinh))| Some((id?, (ten.unwrap_or_default(), ma_tinh))))
            .collect();
        let cases = if cases.height() == 0 {
            HashMap::new()
        } else {
            ints(cases, "id")?
                .into_iter()
                .zip(texts(cases, "ma_viec")?)
                .filter_map(|(id, ma)| Some((id?, ma?)))
                .collect()
        };
        Ok(Self { units, cases })
    }

    fn unit(&self, id: Option<i64>) -> String {
        id.and_then(|id| self.units.get(&id))
            .map(|(ten, _)| ten.clone())
            .unwrap_or_default()
    }

    fn unit_province(&self, id: Option<i64>) -> Option<String> {
        id.and_then(|id| self.units.get(&id))
            .and_then(|(_, t)| t.clone())
    }
}

fn province_name(ma_tinh: &str) -> String {
    org::province(ma_tinh).map_or_else(|| "Cục THADS".to_owned(), |p| p.ten.to_owned())
}

/// `1234567` → `1.234.567` (Vietnamese digit grouping).
pub fn group_digits(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(ch);
    }
    if value < 0 {
        format!("-{out}")
    } else {
        out
    }
}

fn dmy(date: Option<NaiveDate>) -> String {
    date.map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_default()
}

/// The alert of a newly flagged row.
pub fn breach_alert(flag: &FlagRow, names: &Names, at: &str) -> Alert {
    let ma_tinh = flag
        .ma_tinh
        .clone()
        .or_else(|| names.unit_province(flag.don_vi_id))
        .unwrap_or_default();
    let unit = names.unit(flag.don_vi_id);
    let subject = match flag.rule.subject() {
        Table::DonThu => format!("Đơn thư số {}", flag.id),
        Table::NhiemVu => format!("Nhiệm vụ số {}", flag.id),
        Table::QuyetDinh => format!("Quyết định số {}", flag.id),
        _ => match flag.viec_id.and_then(|v| names.cases.get(&v)) {
            Some(ma) => format!("Việc {ma}"),
            None => format!("Việc số {}", flag.viec_id.unwrap_or(flag.id)),
        },
    };
    let detail = if unit.is_empty() {
        subject
    } else {
        format!("{subject} — {unit}")
    };
    Alert {
        id: format!("overdue:{}:{}", flag.rule.code(), flag.id),
        kind: AlertKind::OverdueBreach,
        ten_tinh: province_name(&ma_tinh),
        ma_tinh,
        title: format!("Vi phạm mới {}: {}", flag.rule.code(), flag.rule.label()),
        detail,
        amount: None,
        at: at.to_owned(),
    }
}

/// A row's `don_vi_id` and `viec_id`.
type UnitAndCase = (Option<i64>, Option<i64>);

/// Alerts of petition and task flags (`fresh` holds rule and id only): looks the rows up.
///
/// # Errors
/// [`crate::Error::Polars`] when a column is missing.
pub fn small_breach_alerts(
    frames: &Frames,
    fresh: &[FlagRow],
    names: &Names,
    at: &str,
) -> Result<Vec<Alert>> {
    if fresh.is_empty() {
        return Ok(Vec::new());
    }
    let lookup = |table: Table| -> Result<HashMap<i64, UnitAndCase>> {
        let df = frames.frame(table);
        let viec = if table == Table::DonThu {
            ints(df, "viec_id")?
        } else {
            vec![None; df.height()]
        };
        Ok(ints(df, "id")?
            .into_iter()
            .zip(ints(df, "don_vi_id")?.into_iter().zip(viec))
            .filter_map(|(id, (dv, v))| Some((id?, (dv, v))))
            .collect())
    };
    let petitions = lookup(Table::DonThu)?;
    let tasks = lookup(Table::NhiemVu)?;
    Ok(fresh
        .iter()
        .map(|f| {
            let rows = if f.rule.subject() == Table::NhiemVu {
                &tasks
            } else {
                &petitions
            };
            let (don_vi_id, viec_id) = rows.get(&f.id).copied().unwrap_or((None, None));
            breach_alert(
                &FlagRow {
                    don_vi_id,
                    viec_id,
                    ..f.clone()
                },
                names,
                at,
            )
        })
        .collect())
}

fn large_valid(df: &DataFrame, threshold: i64) -> Result<Vec<(i64, bool)>> {
    let ids = ints(df, "id")?;
    let amounts = ints(df, "so_tien")?;
    let states = texts(df, "trang_thai")?;
    Ok(ids
        .into_iter()
        .zip(amounts.into_iter().zip(states))
        .filter_map(|(id, (amount, state))| {
            Some((
                id?,
                state.as_deref() == Some("hop_le") && amount.unwrap_or(0) >= threshold,
            ))
        })
        .collect())
}

/// Receipts of `batch` that are valid and ≥ `threshold` and were not so in `old` (the old
/// rows of the store, any superset of the batch's old versions).
///
/// # Errors
/// [`crate::Error::Polars`] when a column is missing.
pub fn large_payments(
    old: &DataFrame,
    batch: &DataFrame,
    threshold: i64,
    names: &Names,
    at: &str,
) -> Result<Vec<Alert>> {
    let before: HashSet<i64> = if old.height() == 0 {
        HashSet::new()
    } else {
        large_valid(old, threshold)?
            .into_iter()
            .filter_map(|(id, large)| large.then_some(id))
            .collect()
    };
    let flags = large_valid(batch, threshold)?;
    let amounts = ints(batch, "so_tien")?;
    let provinces = texts(batch, "ma_tinh")?;
    let units = ints(batch, "don_vi_id")?;
    let numbers = texts(batch, "so_bien_lai")?;
    let cases = ints(batch, "viec_id")?;
    let days = dates(batch, "ngay_thu")?;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, (id, large)) in flags.into_iter().enumerate() {
        if !large || before.contains(&id) || !seen.insert(id) {
            continue;
        }
        let amount = amounts.get(i).copied().flatten().unwrap_or(0);
        let ma_tinh = provinces.get(i).cloned().flatten().unwrap_or_default();
        let unit = names.unit(units.get(i).copied().flatten());
        let number = numbers.get(i).cloned().flatten().unwrap_or_default();
        let case = cases
            .get(i)
            .copied()
            .flatten()
            .map(|v| match names.cases.get(&v) {
                Some(ma) => format!(", việc {ma}"),
                None => format!(", việc số {v}"),
            })
            .unwrap_or_default();
        out.push(Alert {
            id: format!("payment:{id}"),
            kind: AlertKind::LargePayment,
            ten_tinh: province_name(&ma_tinh),
            ma_tinh,
            title: format!("Khoản thu lớn: {} đồng", group_digits(amount)),
            detail: format!(
                "Biên lai {number} ngày {} — {unit}{case}",
                dmy(days.get(i).copied().flatten())
            ),
            amount: Some(amount),
            at: at.to_owned(),
        });
    }
    Ok(out)
}

/// Complaints (`loai = 'khieu_nai'`) of `batch` whose id is not in `old`.
///
/// # Errors
/// [`crate::Error::Polars`] when a column is missing.
pub fn new_complaints(
    old: &DataFrame,
    batch: &DataFrame,
    names: &Names,
    at: &str,
) -> Result<Vec<Alert>> {
    let before: HashSet<i64> = if old.height() == 0 {
        HashSet::new()
    } else {
        ints(old, "id")?.into_iter().flatten().collect()
    };
    let ids = ints(batch, "id")?;
    let kinds = texts(batch, "loai")?;
    let provinces = texts(batch, "ma_tinh")?;
    let units = ints(batch, "don_vi_id")?;
    let received = dates(batch, "ngay_nhan")?;
    let due = dates(batch, "han_giai_quyet")?;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, id) in ids.into_iter().enumerate() {
        let Some(id) = id else { continue };
        if kinds.get(i).cloned().flatten().as_deref() != Some("khieu_nai")
            || before.contains(&id)
            || !seen.insert(id)
        {
            continue;
        }
        let don_vi = units.get(i).copied().flatten();
        let ma_tinh = provinces
            .get(i)
            .cloned()
            .flatten()
            .or_else(|| names.unit_province(don_vi))
            .unwrap_or_default();
        out.push(Alert {
            id: format!("complaint:{id}"),
            kind: AlertKind::NewComplaint,
            ten_tinh: province_name(&ma_tinh),
            ma_tinh,
            title: "Khiếu nại mới".to_owned(),
            detail: format!(
                "Đơn số {id} — {}, nhận ngày {}, hạn giải quyết {}",
                names.unit(don_vi),
                dmy(received.get(i).copied().flatten()),
                dmy(due.get(i).copied().flatten())
            ),
            amount: None,
            at: at.to_owned(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_group_by_thousands() {
        assert_eq!(group_digits(0), "0");
        assert_eq!(group_digits(999), "999");
        assert_eq!(group_digits(1000), "1.000");
        assert_eq!(group_digits(1_234_567_890), "1.234.567.890");
        assert_eq!(group_digits(-1_500_000), "-1.500.000");
    }

    fn flag(rule: RuleId, id: i64) -> FlagRow {
        FlagRow {
            rule,
            id,
            viec_id: Some(id),
            ma_tinh: Some("01".into()),
            don_vi_id: Some(3),
        }
    }

    #[test]
    fn only_flags_the_batch_created_are_new() {
        let old = vec![flag(RuleId::Qh03, 1), flag(RuleId::Qh11, 2)];
        let new = vec![
            flag(RuleId::Qh03, 1),
            flag(RuleId::Qh11, 1),
            flag(RuleId::Qh04, 2),
            flag(RuleId::Qh04, 2),
        ];
        let fresh: Vec<(RuleId, i64)> = new_flags(&old, &new)
            .iter()
            .map(|f| (f.rule, f.id))
            .collect();
        assert_eq!(fresh, vec![(RuleId::Qh04, 2), (RuleId::Qh11, 1)]);
        let gone: Vec<(RuleId, i64)> = new_flags(&new, &old)
            .iter()
            .map(|f| (f.rule, f.id))
            .collect();
        assert_eq!(gone, vec![(RuleId::Qh11, 2)]);
    }
}
