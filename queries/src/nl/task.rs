//! Task commands (DOMAIN.md §8): "Giao THADS TP Hà Nội rà soát 50 việc tồn đọng lâu nhất, báo cáo
//! trước 15/12" → a draft with the assignee unit, action, title, quantity, deadline and the
//! linked records as a read-only SQL selecting their ids. Ambiguity is asked back, never guessed.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::link::Linked;
use super::normalize::Text;
use super::plan::lit;
use super::time;
use crate::{calendar, org, Scope};

/// The records a task is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskScope {
    /// `viec_thi_hanh`, `don_thu` or `quyet_dinh`.
    pub doi_tuong: String,
    pub mo_ta: String,
    /// A read-only SELECT of the ids (run through the guard like any other query).
    pub sql: String,
}

/// A task draft, shown for confirmation before anything is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskDraft {
    /// Assignee unit codes (`don_vi.ma`): one, or one per unit of a region ("các tỉnh miền Tây").
    pub don_vi_ma: Vec<String>,
    pub ma_tinh: Vec<String>,
    pub loai_hanh_dong: String,
    pub tieu_de: String,
    pub so_luong: Option<u32>,
    pub han_hoan_thanh: NaiveDate,
    pub ngay_giao: NaiveDate,
    pub scope: Option<TaskScope>,
    /// The command verbatim.
    pub cau_hoi_goc: String,
}

/// A command that cannot be drafted without asking back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskProblem {
    #[error("Chưa rõ giao cho đơn vị nào. Hãy nêu tỉnh hoặc phòng khu vực được giao (ví dụ: \"Giao THADS Hà Nội ...\").")]
    NoAssignee,
    #[error("Chưa rõ hạn hoàn thành. Hãy nêu hạn (ví dụ: \"trước 15/12\", \"trong 10 ngày làm việc\", \"cuối tháng\").")]
    NoDeadline,
    #[error("Bạn chỉ được giao nhiệm vụ cho các đơn vị thuộc {0}.")]
    OutOfScope(String),
    #[error("Hạn hoàn thành {0} đã qua.")]
    PastDeadline(String),
}

const ACTIONS: &[(&str, &str)] = &[
    ("ra soat", "ra_soat"),
    ("bao cao", "bao_cao"),
    ("giai quyet", "xu_ly"),
    ("xu ly", "xu_ly"),
    ("don doc", "xu_ly"),
    ("xac minh", "xu_ly"),
    ("to chuc cuong che", "xu_ly"),
    ("kiem tra", "kiem_tra"),
    ("doi chieu", "doi_chieu"),
];

/// Drafts a task from a command.
///
/// # Errors
/// [`TaskProblem`] when the unit or the deadline is missing or not allowed.
pub fn draft(
    text: &Text,
    linked: &Linked,
    scope: &Scope,
    as_of: NaiveDate,
) -> Result<TaskDraft, TaskProblem> {
    let units = assignees(linked, scope)?;
    let han =
        time::deadline(text, as_of, calendar::add_working_days).ok_or(TaskProblem::NoDeadline)?;
    if han < as_of {
        return Err(TaskProblem::PastDeadline(time::vn_date(han)));
    }
    // The action is the first action verb of the command ("rà soát …, báo cáo trước 15/12").
    let (at, action) = ACTIONS
        .iter()
        .filter_map(|(p, code)| super::normalize::find_words(&text.folded, p).map(|i| (i, *code)))
        .min_by_key(|(i, _)| *i)
        .unwrap_or((0, "khac"));
    let title = title(text, at);
    let so_luong = quantity(text);
    let scope_sql = units
        .first()
        .and_then(|u| record_scope(text, linked, u, so_luong, as_of));
    Ok(TaskDraft {
        ma_tinh: units
            .iter()
            .filter_map(|u| u.get(1..3).map(str::to_owned))
            .collect(),
        don_vi_ma: units,
        loai_hanh_dong: action.to_owned(),
        tieu_de: title,
        so_luong,
        han_hoan_thanh: han,
        ngay_giao: as_of,
        scope: scope_sql,
        cau_hoi_goc: text.nfc.clone(),
    })
}

fn assignees(linked: &Linked, scope: &Scope) -> Result<Vec<String>, TaskProblem> {
    let units: Vec<String> = if let Some(office) = &linked.office {
        vec![office.clone()]
    } else if !linked.provinces.is_empty() {
        linked
            .province_codes()
            .iter()
            .map(|c| format!("T{c}"))
            .collect()
    } else if !linked.vung.is_empty() || !linked.mien.is_empty() {
        org::PROVINCES
            .iter()
            .filter(|p| linked.vung.contains(&p.vung) || linked.mien.contains(&p.mien))
            .map(|p| p.unit_code())
            .collect()
    } else {
        Vec::new()
    };
    if units.is_empty() {
        return Err(TaskProblem::NoAssignee);
    }
    if let Some(own) = scope.province() {
        if units.iter().any(|u| u.get(1..3) != Some(own)) {
            let name = org::province(own).map_or(own, |p| p.ten);
            return Err(TaskProblem::OutOfScope(name.to_owned()));
        }
    }
    Ok(units)
}

/// The title: the command from its action verb up to the deadline clause, as typed (lower
/// case, first letter capitalised).
fn title(text: &Text, folded_at: usize) -> String {
    let start = text.folded[..folded_at.min(text.folded.len())]
        .split(' ')
        .filter(|w| !w.is_empty())
        .count();
    let folded = text.words();
    let light: Vec<&str> = text.light.split(' ').filter(|w| !w.is_empty()).collect();
    let mut out: Vec<&str> = Vec::new();
    for i in start..folded.len().min(light.len()) {
        let f = folded[i];
        let next = folded.get(i + 1).copied().unwrap_or("");
        let deadline = match f {
            "truoc" | "han" | "cuoi" => true,
            "trong" => next.parse::<u32>().is_ok() || matches!(next, "tuan" | "thang"),
            "xong" | "hoan" => matches!(next, "truoc" | "trong" | "thanh"),
            "bao" => next == "cao" && i > start,
            _ => false,
        };
        if deadline && out.len() >= 2 {
            break;
        }
        out.push(light[i]);
    }
    let mut t = out.join(" ");
    if let Some(first) = t.chars().next() {
        let upper: String = first.to_uppercase().collect();
        t.replace_range(..first.len_utf8(), &upper);
    }
    t
}

/// "50 việc", "30 đơn": the number of records the command names.
fn quantity(text: &Text) -> Option<u32> {
    let w = text.words();
    w.windows(2).find_map(|p| {
        let n: u32 = p[0].parse().ok()?;
        matches!(p[1], "viec" | "don" | "ho" | "quyet").then_some(n)
    })
}

/// The linked records as a SELECT of ids, for the first assignee unit.
fn record_scope(
    text: &Text,
    linked: &Linked,
    unit: &str,
    limit: Option<u32>,
    as_of: NaiveDate,
) -> Option<TaskScope> {
    let office = unit.contains("-KV");
    let ma_tinh = unit.get(1..3)?;
    let lim = limit.map(|n| format!(" LIMIT {n}")).unwrap_or_default();
    let asof = lit(&as_of.to_string());
    if text.has_any(&["don", "khieu nai", "to cao", "kien nghi"]) && !text.has("viec") {
        let mut w = vec![if office {
            format!("u.ma = {}", lit(unit))
        } else {
            format!("d.ma_tinh = {}", lit(ma_tinh))
        }];
        if !linked.loai_don.is_empty() {
            let v: Vec<String> = linked.loai_don.iter().map(|x| lit(x)).collect();
            w.push(format!("d.loai IN ({})", v.join(", ")));
        }
        let mut mo_ta = "đơn thư".to_owned();
        if text.has_any(&["qua han", "tre han"]) {
            w.push("d.trang_thai IN ('moi','dang_giai_quyet')".into());
            w.push(format!("d.han_giai_quyet < {asof}"));
            mo_ta = "đơn quá hạn chưa giải quyết (QH12)".into();
        }
        let join = if office {
            " JOIN don_vi u ON u.id = d.don_vi_id"
        } else {
            ""
        };
        return Some(TaskScope {
            doi_tuong: "don_thu".into(),
            mo_ta: format!("{mo_ta} của {unit}"),
            sql: format!(
                "SELECT d.id FROM don_thu d{join} WHERE {} ORDER BY d.id{lim}",
                w.join(" AND ")
            ),
        });
    }
    if text.has("ky so") && text.has("quyet dinh") {
        return Some(TaskScope {
            doi_tuong: "quyet_dinh".into(),
            mo_ta: format!("quyết định chưa ký số (QH16) của {unit}"),
            sql: format!(
                "SELECT q.id FROM quyet_dinh q JOIN viec_thi_hanh v ON v.id = q.viec_id WHERE v.ma_tinh = {} AND q.ngay_ky >= '2025-12-12' AND q.ky_so = 0 ORDER BY q.id{lim}",
                lit(ma_tinh)
            ),
        });
    }
    let mut w = vec![if office {
        format!("u.ma = {}", lit(unit))
    } else {
        format!("v.ma_tinh = {}", lit(ma_tinh))
    }];
    let mut joins = if office {
        " JOIN don_vi u ON u.id = v.don_vi_id".to_owned()
    } else {
        String::new()
    };
    let mut order = "v.id".to_owned();
    let mut group = String::new();
    let mo_ta;
    if text.has("chua co dieu kien") || text.has("chua co dk") {
        w.push("v.trang_thai = 'chua_co_dieu_kien'".into());
        if text.has("6 thang") || text.has("xac minh lai") {
            let six = as_of
                .checked_sub_months(chrono::Months::new(6))
                .unwrap_or(as_of);
            w.push(format!(
                "(v.ngay_xac_minh IS NULL OR v.ngay_xac_minh < {})",
                lit(&six.to_string())
            ));
            mo_ta = "việc chưa có điều kiện quá 6 tháng chưa xác minh lại (QH04)";
        } else {
            mo_ta = "việc chưa có điều kiện";
        }
    } else if text.has("hoan") {
        w.push("v.trang_thai = 'hoan'".into());
        joins.push_str(" JOIN quyet_dinh q ON q.viec_id = v.id AND q.loai = 'hoan'");
        group = " GROUP BY v.id".into();
        order = "MAX(q.ngay_ky), v.id".into();
        mo_ta = "việc đang hoãn, quyết định hoãn sớm nhất trước";
    } else if text.has_any(&[
        "ton dong",
        "ton",
        "chua ket thuc",
        "chua xong",
        "dang giai quyet",
    ]) {
        w.push("v.trang_thai NOT IN ('xong','dinh_chi','uy_thac')".into());
        if text.has_any(&["lau nhat", "cu nhat"]) {
            order = "v.ngay_thu_ly, v.id".into();
        }
        mo_ta = "việc chưa kết thúc, thụ lý sớm nhất trước";
    } else if text.has_any(&["cuong che", "co dieu kien", "dang thi hanh"]) {
        w.push("v.trang_thai = 'dang_thi_hanh'".into());
        if text.has("co dieu kien") {
            w.push("v.co_dieu_kien = 1".into());
        }
        mo_ta = "việc đang thi hành có điều kiện";
    } else {
        mo_ta = "việc thi hành án";
    }
    if linked.tin_dung {
        w.push("v.id IN (SELECT viec_id FROM duong_su WHERE vai_tro = 'duoc_thi_hanh' AND loai = 'to_chuc_tin_dung')".into());
    }
    if let Some(a) = linked.amount {
        w.push(format!("v.so_tien_phai_thi_hanh {} {}", a.op, a.dong));
    }
    if !linked.loai_an.is_empty() {
        let v: Vec<String> = linked.loai_an.iter().map(|x| lit(x)).collect();
        w.push(format!("v.loai_an IN ({})", v.join(", ")));
    }
    if text.has_any(&["so tien", "gia tri"])
        && text.has_any(&["lon nhat", "cao nhat", "nhieu nhat"])
    {
        order = "v.so_tien_phai_thi_hanh DESC, v.id".into();
    }
    Some(TaskScope {
        doi_tuong: "viec_thi_hanh".into(),
        mo_ta: format!("{mo_ta} của {unit}"),
        sql: format!(
            "SELECT v.id FROM viec_thi_hanh v{joins} WHERE {}{group} ORDER BY {order}{lim}",
            w.join(" AND ")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nl::link::link;

    fn as_of() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
    }

    fn d(q: &str, scope: &Scope) -> Result<TaskDraft, TaskProblem> {
        let t = Text::new(q);
        draft(&t, &link(&t, scope, as_of()), scope, as_of())
    }

    #[test]
    fn drafts_the_domain_examples() {
        let n = &Scope::National;
        let t = d(
            "Giao THADS TP Hà Nội rà soát 50 việc tồn đọng lâu nhất, báo cáo trước 15/12",
            n,
        )
        .unwrap();
        assert_eq!(t.don_vi_ma, ["T01"]);
        assert_eq!(t.loai_hanh_dong, "ra_soat");
        assert_eq!(t.tieu_de, "Rà soát 50 việc tồn đọng lâu nhất");
        assert_eq!(t.so_luong, Some(50));
        assert_eq!(t.han_hoan_thanh.to_string(), "2026-12-15");
        assert_eq!(
            t.scope.unwrap().sql,
            "SELECT v.id FROM viec_thi_hanh v WHERE v.ma_tinh = '01' AND v.trang_thai NOT IN ('xong','dinh_chi','uy_thac') ORDER BY v.ngay_thu_ly, v.id LIMIT 50"
        );
        let t = d(
            "Cục giao các tỉnh miền Tây báo cáo kết quả thu hồi tiền án tín dụng trước 31/12",
            n,
        )
        .unwrap();
        assert_eq!(t.don_vi_ma, ["T82", "T86", "T91", "T92", "T96"]);
        assert_eq!(t.loai_hanh_dong, "bao_cao");
        let t = d("Kiểm tra việc ký số quyết định ở Cà Mau, hạn cuối tháng", n).unwrap();
        assert_eq!(t.don_vi_ma, ["T96"]);
        assert_eq!(t.loai_hanh_dong, "kiem_tra");
        assert_eq!(t.han_hoan_thanh.to_string(), "2026-11-30");
        assert_eq!(t.scope.unwrap().doi_tuong, "quyet_dinh");
    }

    #[test]
    fn asks_back_and_refuses() {
        let n = &Scope::National;
        assert_eq!(
            d("Giao rà soát các việc hoãn trước 15/12", n),
            Err(TaskProblem::NoAssignee)
        );
        assert_eq!(
            d("Giao THADS Hà Nội rà soát các việc hoãn", n),
            Err(TaskProblem::NoDeadline)
        );
        let hn = &Scope::Province {
            ma_tinh: "01".into(),
        };
        assert!(matches!(
            d("Giao THADS TP.HCM rà soát việc hoãn trước 15/12", hn),
            Err(TaskProblem::OutOfScope(_))
        ));
    }
}
