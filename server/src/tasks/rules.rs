//! The pure rules of tasks: which units a scope may assign to, the draft a command gives, and
//! the checks of a confirmation form and of a progress update (no store, no I/O).

use crate::ask::FramesRunner;
use app::wire::tasks::{Draft, ProgressForm, TaskForm, UnitChoice, ACTIONS, STATUSES};
use chrono::NaiveDate;
use queries::frames::Frames;
use queries::nl::ask::{Runner, TaskJson, MAX_TASK_IDS};
use queries::nl::link::link;
use queries::nl::normalize::Text;
use queries::nl::task::scope_for;
use queries::sql::{Cancel, Limits};
use queries::{org, Scope};
use serde_json::Value;

use super::*;

/// The units `scope` may assign tasks to: every province for the country, the province and
/// its regional offices for a province; none below.
pub fn unit_choices(scope: &Scope) -> Vec<UnitChoice> {
    let choice = |ma: String, ten: String| UnitChoice { ma, ten };
    match scope {
        Scope::National => org::PROVINCES
            .iter()
            .map(|p| choice(p.unit_code(), p.unit_name()))
            .collect(),
        Scope::Province { ma_tinh } => org::province(ma_tinh)
            .map(|p| {
                std::iter::once(choice(p.unit_code(), p.unit_name()))
                    .chain(
                        (1..=p.so_phong_kv)
                            .map(|n| choice(p.regional_office_code(n), p.regional_office_name(n))),
                    )
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// The province of a unit code (`T01`, `T01-KV03`) that exists, with the unit's name.
fn known_unit(ma: &str) -> Option<(String, String)> {
    let code = ma.strip_prefix('T')?.get(..2)?;
    let p = org::province(code)?;
    if ma == p.unit_code() {
        return Some((code.to_owned(), p.unit_name()));
    }
    let n: u32 = ma.strip_prefix(&format!("T{code}-KV"))?.parse().ok()?;
    (1..=p.so_phong_kv)
        .contains(&n)
        .then(|| (code.to_owned(), p.regional_office_name(n)))
        .filter(|_| p.regional_office_code(n) == ma)
}

/// The draft of a command as the confirmation form shows it.
pub fn draft_of(task: &TaskJson) -> Draft {
    let units = match &task.don_vi_ma {
        Value::Array(v) => v
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        Value::String(s) => vec![s.clone()],
        _ => Vec::new(),
    };
    Draft {
        form: TaskForm {
            command: task.cau_hoi_goc.clone(),
            units,
            loai_hanh_dong: task.loai_hanh_dong.clone(),
            tieu_de: task.tieu_de.clone(),
            han_hoan_thanh: task.han_hoan_thanh.clone(),
            so_luong: task.so_luong,
            max_linked: None,
        },
        scope_mo_ta: task.scope_mo_ta.clone(),
        linked: task.scope_ids.len(),
    }
}

/// One task ready to store.
#[derive(Debug, Clone)]
pub struct NewTask {
    pub don_vi_ma: String,
    pub loai_hanh_dong: String,
    pub tieu_de: String,
    pub ngay_giao: NaiveDate,
    pub han_hoan_thanh: NaiveDate,
    pub so_luong: Option<u32>,
    /// `viec_thi_hanh`, `don_thu` or `quyet_dinh`, with its description and SQL.
    pub doi_tuong: Option<String>,
    pub mo_ta: Option<String>,
    pub sql: Option<String>,
    pub ids: Vec<i64>,
    pub cau_hoi_goc: String,
}

/// Checks a form and selects, for each unit, the linked records in `scope` on `frames`.
///
/// # Errors
/// [`TaskError::Invalid`] for a bad field, [`TaskError::Forbidden`] for a unit or a caller
/// that may not assign.
pub fn prepare(
    form: &TaskForm,
    scope: &Scope,
    frames: &Frames,
    as_of: NaiveDate,
    budget: &Limits,
    cancel: &Cancel,
) -> Result<Vec<NewTask>, TaskError> {
    if !matches!(scope, Scope::National | Scope::Province { .. }) {
        return Err(TaskError::Forbidden(
            "Chỉ lãnh đạo, chuyên viên cấp Cục và cấp tỉnh được giao nhiệm vụ.".into(),
        ));
    }
    let title: String = form.tieu_de.trim().chars().collect();
    if title.is_empty() || title.chars().count() > MAX_TITLE {
        return Err(TaskError::Invalid(format!(
            "Tiêu đề phải có từ 1 đến {MAX_TITLE} ký tự."
        )));
    }
    if !ACTIONS.contains(&form.loai_hanh_dong.as_str()) {
        return Err(TaskError::Invalid("Loại hành động không hợp lệ.".into()));
    }
    let han = app::text::parse_date(&form.han_hoan_thanh)
        .and_then(|iso| NaiveDate::parse_from_str(&iso, "%Y-%m-%d").ok())
        .ok_or_else(|| {
            TaskError::Invalid("Hạn hoàn thành không hợp lệ (ngày/tháng/năm).".into())
        })?;
    if han < as_of {
        return Err(TaskError::Invalid(format!(
            "Hạn hoàn thành {} đã qua (số liệu đến ngày {}).",
            han.format("%d/%m/%Y"),
            as_of.format("%d/%m/%Y")
        )));
    }
    if form.command.chars().count() > MAX_COMMAND {
        return Err(TaskError::Invalid(format!(
            "Câu lệnh giao việc dài quá {MAX_COMMAND} ký tự."
        )));
    }
    if form.so_luong == Some(0) {
        return Err(TaskError::Invalid("Số lượng phải lớn hơn 0.".into()));
    }
    let mut units: Vec<&str> = form.units.iter().map(|u| u.trim()).collect();
    units.sort_unstable();
    units.dedup();
    if units.is_empty() || units.len() > 34 {
        return Err(TaskError::Invalid("Hãy chọn đơn vị được giao.".into()));
    }
    let text = Text::new(&form.command);
    let linked = link(&text, scope, as_of);
    let runner = FramesRunner {
        frames,
        scope,
        budget,
        cancel,
    };
    let mut out = Vec::new();
    for ma in units {
        let (ma_tinh, _) =
            known_unit(ma).ok_or_else(|| TaskError::Invalid(format!("Không có đơn vị {ma}.")))?;
        if !scope.may_see_province(&ma_tinh) {
            return Err(TaskError::Forbidden(format!(
                "Bạn không được giao nhiệm vụ cho {ma}: đơn vị ngoài phạm vi của bạn."
            )));
        }
        let records = scope_for(&text, &linked, ma, form.so_luong, as_of);
        let ids = match &records {
            Some(r) => {
                let (_, table) = runner.run(&r.sql, MAX_TASK_IDS).map_err(|e| {
                    // The engine's text is for the log; the user gets what to do.
                    tracing::warn!(error = %e, sql = %r.sql, "task record selection");
                    TaskError::Invalid(
                        "Không lấy được danh sách hồ sơ cho nhiệm vụ này; hãy nêu rõ hơn \
                         loại hồ sơ và điều kiện, hoặc bỏ phần hồ sơ liên kết."
                            .into(),
                    )
                })?;
                let mut ids: Vec<i64> = table
                    .rows
                    .iter()
                    .filter_map(|row| row.first().and_then(Value::as_i64))
                    .collect();
                if let Some(n) = form.max_linked {
                    ids.truncate(n);
                }
                ids
            }
            None => Vec::new(),
        };
        out.push(NewTask {
            don_vi_ma: ma.to_owned(),
            loai_hanh_dong: form.loai_hanh_dong.clone(),
            tieu_de: title.clone(),
            ngay_giao: as_of,
            han_hoan_thanh: han,
            so_luong: form.so_luong,
            doi_tuong: records.as_ref().map(|r| r.doi_tuong.clone()),
            mo_ta: records.as_ref().map(|r| r.mo_ta.clone()),
            sql: records.map(|r| r.sql),
            ids,
            cau_hoi_goc: form.command.trim().to_owned(),
        });
    }
    Ok(out)
}

/// Checks an update against the current status.
pub(super) fn check_update(form: &ProgressForm) -> Result<(), TaskError> {
    if !STATUSES.contains(&form.trang_thai.as_str()) {
        return Err(TaskError::Invalid("Trạng thái không hợp lệ.".into()));
    }
    if !(0..=100).contains(&form.tien_do) {
        return Err(TaskError::Invalid("Tiến độ phải từ 0 đến 100%.".into()));
    }
    if form.ghi_chu.chars().count() > MAX_COMMENT {
        return Err(TaskError::Invalid(format!(
            "Ghi chú dài quá {MAX_COMMENT} ký tự."
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_checked_against_the_organisation() {
        assert_eq!(known_unit("T01").map(|u| u.0), Some("01".into()));
        assert_eq!(known_unit("T79-KV05").map(|u| u.0), Some("79".into()));
        assert!(known_unit("T79-KV5").is_none());
        assert!(known_unit("T01-KV99").is_none());
        assert!(known_unit("T99").is_none());
        assert!(known_unit("CUC").is_none());
    }

    #[test]
    fn units_to_assign_follow_the_scope() {
        let hn = Scope::Province {
            ma_tinh: "01".into(),
        };
        assert_eq!(unit_choices(&hn).len(), 1 + 18);
        assert_eq!(unit_choices(&Scope::National).len(), 34);
        let office = Scope::Office {
            don_vi_id: 5,
            ma_tinh: "01".into(),
        };
        assert!(unit_choices(&office).is_empty());
    }
}
