//! Task commands (DOMAIN.md §8): "Giao THADS TP Hà Nội rà soát 50 việc tồn đọng lâu nhất, báo cáo
//! trước 15/12" → a draft with the assignee unit, action, title, quantity, deadline and the
//! linked records as a read-only SQL selecting their ids. Ambiguity is asked back, never guessed.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::link::Linked;
use super::normalize::Text;
use super::plan::{self, Plan};
use super::time;
use super::{catalog, cues, prompt};
use crate::{calendar, org, Scope};

/// The records a task is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskScope {
    /// `viec_thi_hanh`, `don_thu` or `quyet_dinh`.
    pub doi_tuong: String,
    pub mo_ta: String,
    /// A read-only SELECT with the ids in its first column (run through the guard like any
    /// other query).
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
    #[error("\"{abbr}\" có thể là {candidates}. Hãy ghi rõ tên tỉnh được giao.")]
    AmbiguousUnit { abbr: String, candidates: String },
    #[error("Chưa rõ phòng khu vực {0} của tỉnh nào (hoặc tỉnh không có phòng số {0}). Hãy nêu tên tỉnh, ví dụ \"Phòng THADS khu vực {0} Hà Nội\".")]
    OfficeUnresolved(u32),
    #[error(
        "\"Trước Tết\" chưa đủ rõ để đặt hạn. Hãy nêu ngày cụ thể (ví dụ: \"trước 05/02/2027\")."
    )]
    VagueDeadline,
}

/// Two-letter abbreviations people use for more than one province (DOMAIN.md §7): a task is
/// never assigned on a guess, so these are asked back unless the command names the province.
const AMBIGUOUS_ABBRS: &[(&str, &[&str])] = &[
    ("DN", &["48", "75"]),
    ("QN", &["22", "51", "48"]),
    ("TN", &["19", "80"]),
];

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
    ambiguity(text, linked)?;
    let units = assignees(linked, scope)?;
    let han = deadline(text, as_of)?;
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
        .and_then(|u| scope_for(text, linked, u, so_luong, as_of));
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

/// An ambiguous abbreviation ("ĐN": Đà Nẵng or Đồng Nai) that the command relies on for its
/// assignee is asked back; a full name or an office elsewhere in the command settles it.
fn ambiguity(text: &Text, linked: &Linked) -> Result<(), TaskProblem> {
    let typed: Vec<&str> = text.folded_case.split(' ').collect();
    for (abbr, codes) in AMBIGUOUS_ABBRS {
        if !typed.contains(abbr) {
            continue;
        }
        // Named in full too ("ĐN (Đồng Nai)"): the full name decides.
        let full = linked.provinces.iter().any(|p| {
            org::province(p.ma_tinh).is_some_and(|x| text.has(&super::normalize::fold(x.ten)))
        });
        if full {
            continue;
        }
        let names: Vec<&str> = codes
            .iter()
            .filter_map(|c| org::province(c).map(|p| p.ten))
            .collect();
        return Err(TaskProblem::AmbiguousUnit {
            abbr: (*abbr).to_owned(),
            candidates: names.join(" hay "),
        });
    }
    Ok(())
}

fn assignees(linked: &Linked, scope: &Scope) -> Result<Vec<String>, TaskProblem> {
    if let (None, Some(n)) = (&linked.office, linked.office_number_unresolved) {
        return Err(TaskProblem::OfficeUnresolved(n));
    }
    let units: Vec<String> = if let Some(office) = &linked.office {
        std::iter::once(office)
            .chain(&linked.more_offices)
            .cloned()
            .collect()
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
            // Not "quý trước", "tháng trước" (a past period) nor "từ trước năm 2020" (a date
            // condition): a deadline is a day or an end to come.
            "truoc" => {
                !matches!(
                    i.checked_sub(1).map(|k| folded[k]),
                    Some("quy" | "thang" | "nam" | "tuan" | "ky" | "hom" | "tu")
                ) && !matches!(next, "nam" | "khi" | "do" | "day")
            }
            "cuoi" => true,
            // "quá hạn", "trễ hạn", "đúng hạn" describe records, not the deadline.
            "han" => !matches!(
                i.checked_sub(1).map(|k| folded[k]),
                Some("qua" | "tre" | "dung" | "den")
            ),
            // "trong 10 ngày", "trong tuần", "(hạn) trong tháng 12" — not "hủy trong tháng 10".
            "trong" => {
                next.parse::<u32>().is_ok()
                    || next == "tuan"
                    || (next == "thang"
                        && matches!(
                            i.checked_sub(1).map(|k| folded[k]),
                            Some("han" | "xong" | "thanh" | "cao" | "truoc")
                        ))
            }
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

/// "50 việc", "30 đơn", "20 hồ sơ": the number of records the command names. Not "khu vực 5
/// đôn đốc" (an office number before the verb "đôn đốc") nor "5 đơn vị".
fn quantity(text: &Text) -> Option<u32> {
    let w = text.words();
    (0..w.len()).find_map(|i| {
        let n: u32 = w[i].parse().ok()?;
        let next = w.get(i + 1).copied().unwrap_or("");
        let after = w.get(i + 2).copied().unwrap_or("");
        let before = i.checked_sub(1).map_or("", |k| w[k]);
        if matches!(before, "vuc" | "kv" | "phong" | "so") {
            return None;
        }
        let noun = match next {
            "don" => !matches!(after, "doc" | "vi"),
            "ho" => after == "so",
            "quyet" => after == "dinh",
            "viec" | "vu" | "bien" => true,
            _ => false,
        };
        (noun && n > 0).then_some(n)
    })
}

/// Number words a deadline may use ("trong hai tuần").
const NUMBER_WORDS: &[(&str, &str)] = &[
    ("mot", "1"),
    ("hai", "2"),
    ("ba", "3"),
    ("bon", "4"),
    ("tu", "4"),
    ("nam", "5"),
    ("bay", "7"),
    ("tam", "8"),
    ("chin", "9"),
    ("muoi", "10"),
];

/// Words after which a date is the deadline ("trước 15/12", "hạn 5/12", "đến ngày 31/12").
const DEADLINE_CUES: &[&str] = &["truoc", "han", "den", "nhat", "xong", "ngay"];

/// The deadline of a command (DOMAIN.md §7 "Dates without year"): a date after a deadline word
/// first ("từ 1/12 …, báo cáo trước 15/12" is due 15/12), "ngày 15 tháng 12 (năm 2026)", "trong
/// quý này", number words ("trong hai tuần"), then the common forms of [`time::deadline`]
/// (working days through the calendar). "Trước Tết" is asked back.
///
/// # Errors
/// [`TaskProblem::NoDeadline`] or [`TaskProblem::VagueDeadline`].
pub fn deadline(text: &Text, as_of: NaiveDate) -> Result<NaiveDate, TaskProblem> {
    let w = text.words();
    let date_at = |i: usize| -> Option<NaiveDate> {
        let word = w.get(i)?.replace(['-', '.'], "/");
        if let Some(d) = time::parse_date(&word, as_of, true) {
            return Some(d);
        }
        // "15 tháng 12 (năm 2026)"
        let d: u32 = w.get(i)?.parse().ok()?;
        if w.get(i + 1) != Some(&"thang") {
            return None;
        }
        let m: u32 = w.get(i + 2)?.parse().ok()?;
        let y = match (
            w.get(i + 3),
            w.get(i + 4).and_then(|y| y.parse::<i32>().ok()),
        ) {
            (Some(&"nam"), Some(y)) => format!("/{y}"),
            _ => String::new(),
        };
        time::parse_date(&format!("{d}/{m}{y}"), as_of, true)
    };
    for (i, x) in w.iter().enumerate() {
        if DEADLINE_CUES.contains(x) {
            for k in [i + 1, i + 2] {
                if let Some(d) = date_at(k) {
                    return Ok(d);
                }
            }
        }
    }
    if let Some(d) = (0..w.len()).find_map(date_at) {
        return Ok(d);
    }
    if text.has_any(&["truoc tet", "den tet", "han tet"]) {
        return Err(TaskProblem::VagueDeadline);
    }
    if text.has_any(&["trong quy nay", "het quy nay"]) {
        return time::deadline(&Text::new("cuối quý"), as_of, calendar::add_working_days)
            .ok_or(TaskProblem::NoDeadline);
    }
    if text.has_any(&["trong thang nay", "het thang nay"]) {
        return time::deadline(&Text::new("cuối tháng"), as_of, calendar::add_working_days)
            .ok_or(TaskProblem::NoDeadline);
    }
    // "trong hai tuần" → "trong 2 tuần".
    let mut rewritten: Vec<&str> = w.clone();
    for i in 1..rewritten.len() {
        if matches!(rewritten[i - 1], "trong" | "vong") {
            if let Some((_, n)) = NUMBER_WORDS.iter().find(|(x, _)| *x == rewritten[i]) {
                rewritten[i] = n;
            }
        }
    }
    time::deadline(
        &Text::new(&rewritten.join(" ")),
        as_of,
        calendar::add_working_days,
    )
    .ok_or(TaskProblem::NoDeadline)
}

/// The records a command is about: the noun its action takes ("các đơn khiếu nại", "50
/// việc", "biên lai"), a case list when it names none.
fn record_list(text: &Text) -> (&'static str, usize) {
    let w = text.words();
    let nouns: &[(&str, &'static str)] = &[
        ("bien lai", "ds_bien_lai"),
        ("quyet dinh", "ds_quyet_dinh"),
        ("khieu nai", "ds_don"),
        ("to cao", "ds_don"),
        ("kien nghi", "ds_don"),
        ("don", "ds_don"),
        ("tai san", "ds_bien_phap"),
        ("bien phap", "ds_bien_phap"),
        // "các lượt kê biên", "các lượt trừ thu nhập đã thực hiện": measures applied.
        ("luot", "ds_bien_phap"),
        ("ho so", "ds_viec"),
        ("viec", "ds_viec"),
    ];
    let at = |i: usize, noun: &str| {
        let n: Vec<&str> = noun.split(' ').collect();
        // "đôn đốc", "đơn vị", "đơn giản" are not petitions.
        let other_word = noun == "don"
            && matches!(
                w.get(i + 1).copied(),
                Some("doc" | "vi" | "gian" | "gia" | "thuan")
            );
        w.get(i..i + n.len()) == Some(&n[..]) && !other_word
    };
    // The noun right after a determiner or a count is the object: "các đơn", "50 việc".
    for i in 1..w.len() {
        let determiner =
            matches!(w[i - 1], "cac" | "nhung" | "bo" | "toan") || w[i - 1].parse::<u32>().is_ok();
        if let Some((_, key)) = nouns.iter().find(|(n, _)| determiner && at(i, n)) {
            return (key, i);
        }
    }
    // Else a record noun other than the generic "việc" ("kiểm tra việc ký số quyết định").
    nouns
        .iter()
        .filter(|(_, key)| *key != "ds_viec")
        .find_map(|(n, key)| (0..w.len()).find(|&i| at(i, n)).map(|i| (*key, i)))
        .unwrap_or(("ds_viec", 0))
}

/// The linked records of the command as a SELECT of ids for assignee `unit` (any unit: the
/// confirmation form may change the assignee, and a command to several units gives one scope
/// each). `limit` keeps the first ids of the ordered selection.
///
/// The selection is a record-list plan ([`plan::compile`]) with the command's case set, its
/// catalog conditions and time thresholds, ranked as the command says ("lâu nhất", "số tiền lớn
/// nhất"), in the unit instead of the places the command names.
pub fn scope_for(
    text: &Text,
    linked: &Linked,
    unit: &str,
    limit: Option<u32>,
    as_of: NaiveDate,
) -> Option<TaskScope> {
    let province = org::province(unit.get(1..3)?)?;
    // The command without its deadline clause ("báo cáo trước 15/12", "xong trước cuối tháng",
    // "hạn trong tháng 12"): what it asks about, not by when.
    let at = ACTIONS
        .iter()
        .filter_map(|(p, _)| super::normalize::find_words(&text.folded, p))
        .min()
        .unwrap_or(0);
    let body = Text::new(&title(text, at));
    let (key, object_at) = record_list(text);
    let metric = plan::metric(key)?;
    let valid = prompt::sets_of(key);
    let named: Vec<&'static str> = cues::sets(&body)
        .into_iter()
        .filter(|s| valid.contains(s))
        .filter(|s| rule_fits(s, linked))
        .collect();
    // An enforcement command acts on cases being enforced.
    let enforce = text.has_any(&["cuong che", "don doc thi hanh"]) && key == "ds_viec";
    let set = named
        .iter()
        .find(|s| s.starts_with("qh"))
        .or_else(|| named.first())
        .copied()
        .unwrap_or(if enforce { "dang_thi_hanh" } else { "tat_ca" });
    let mut in_unit = linked.clone();
    // Values named before the records are the action's ("tổ chức thẩm định giá đối với các tài
    // sản đã kê biên …"), not a condition on them.
    in_unit.conditions.retain(|c| c.at >= object_at);
    in_unit.provinces = vec![super::link::ProvinceRef {
        ma_tinh: province.ma_tinh,
        old_name: None,
    }];
    in_unit.office = unit.contains("-KV").then(|| unit.to_owned());
    in_unit.mien.clear();
    in_unit.vung.clear();
    // A period already past describes the records ("biên lai hủy trong tháng 10"); a later
    // one is the deadline ("trong tháng 12").
    in_unit.period = time::resolve(&body, as_of).filter(|p| p.to <= as_of);
    in_unit.second_period = None;
    in_unit.top_n = None;
    if set == "dang_thi_hanh" && text.has_any(&["co dieu kien", "co dk"]) && !text.has("chua co") {
        in_unit.conditions.push(catalog::Condition {
            targets: vec![("viec_thi_hanh", "{a}.co_dieu_kien = 1".into())],
            label: "có điều kiện thi hành".into(),
            soft: false,
            negated: false,
            at: 0,
        });
    }
    let plan = Plan {
        metric: metric.key,
        set,
        by: "khong",
        order: cues::order(text),
        limit,
        also: None,
        by2: "khong",
    };
    let compiled = plan::compile(
        &plan,
        &plan::Context {
            linked: &in_unit,
            scope: &Scope::National,
            as_of,
        },
    )
    .ok()?;
    let set_label = plan::SETS
        .iter()
        .find(|s| s.key == set && s.base == metric.base && s.key != "tat_ca")
        .map(|s| format!(" — {}", s.label))
        .unwrap_or_default();
    let conditions = if compiled.applied.is_empty() {
        String::new()
    } else {
        format!(" ({})", compiled.applied.join("; "))
    };
    Some(TaskScope {
        doi_tuong: catalog::base_table(metric.base).0.to_owned(),
        mo_ta: format!(
            "{}{set_label}{conditions} của {unit}",
            metric.label.trim_start_matches("danh sách ")
        ),
        sql: compiled.sql,
    })
}

/// Whether a rule fits the records the command names: "kê biên … chưa bán đấu giá" is not the
/// rule "thẩm định giá … chưa đấu giá", whose steps are other measures.
fn rule_fits(set: &str, linked: &Linked) -> bool {
    let steps: &[&str] = match set {
        "qh09" => &["ke_bien_tai_san", "tham_dinh_gia"],
        "qh10" => &["tham_dinh_gia", "ban_dau_gia"],
        _ => return true,
    };
    linked
        .conditions
        .iter()
        .filter(|c| c.constrains("bien_phap_cuong_che", "loai"))
        .all(|c| {
            c.targets
                .iter()
                .any(|(_, p)| steps.iter().any(|s| p.contains(&format!("'{s}'"))))
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
            "SELECT v.id AS id_ban_ghi, v.ma_viec, ul.ten AS don_vi, v.loai_an, v.trang_thai, v.ngay_thu_ly, v.so_tien_phai_thi_hanh, v.so_tien_da_thi_hanh FROM viec_thi_hanh v JOIN don_vi ul ON ul.id = v.don_vi_id WHERE v.trang_thai NOT IN ('xong','dinh_chi','uy_thac') AND v.ma_tinh = '01' ORDER BY ngay_thu_ly ASC, id_ban_ghi LIMIT 50"
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

    fn due(q: &str) -> Result<String, TaskProblem> {
        deadline(&Text::new(q), as_of()).map(|d| d.to_string())
    }

    fn ok(s: &str) -> Result<String, TaskProblem> {
        Ok(s.to_owned())
    }

    #[test]
    fn deadlines_of_many_forms() {
        // as-of 2026-11-20, a Friday.
        assert_eq!(due("báo cáo trước 15/12"), ok("2026-12-15"));
        assert_eq!(due("hạn 5/12"), ok("2026-12-05"));
        assert_eq!(due("xong trước ngày 31/12/2026"), ok("2026-12-31"));
        assert_eq!(due("báo cáo trước 15/01"), ok("2027-01-15"));
        assert_eq!(due("báo cáo trước 10/11"), ok("2027-11-10"));
        assert_eq!(due("trước ngày 15 tháng 12"), ok("2026-12-15"));
        assert_eq!(due("chậm nhất ngày 20 tháng 1 năm 2027"), ok("2027-01-20"));
        assert_eq!(
            due("rà soát việc thụ lý từ 1/12/2025, báo cáo trước 15/12"),
            ok("2026-12-15")
        );
        assert_eq!(due("hoàn thành trong 2 tuần"), ok("2026-12-04"));
        assert_eq!(due("hoàn thành trong hai tuần"), ok("2026-12-04"));
        assert_eq!(due("trong vòng 15 ngày"), ok("2026-12-05"));
        assert_eq!(due("xong trong 20 ngày"), ok("2026-12-10"));
        assert_eq!(due("trong 3 tháng"), ok("2027-02-20"));
        // Working days skip weekends (and holidays, below).
        assert_eq!(due("trong 10 ngày làm việc"), ok("2026-12-04"));
        assert_eq!(due("trong 5 ngày làm việc"), ok("2026-11-27"));
        assert_eq!(due("trước cuối tháng"), ok("2026-11-30"));
        assert_eq!(due("trong tháng này"), ok("2026-11-30"));
        assert_eq!(due("hạn cuối quý"), ok("2026-12-31"));
        assert_eq!(due("trong quý này"), ok("2026-12-31"));
        assert_eq!(due("trước cuối năm"), ok("2026-12-31"));
        assert_eq!(due("trước cuối năm thống kê"), ok("2027-09-30"));
        assert_eq!(due("trong tuần sau"), ok("2026-11-27"));
        assert_eq!(due("trong tháng 12"), ok("2026-12-31"));
        assert_eq!(due("trong tháng 1"), ok("2027-01-31"));
        assert_eq!(due("bao cao truoc 10/12"), ok("2026-12-10"));
        assert_eq!(due("báo cáo trước Tết"), Err(TaskProblem::VagueDeadline));
        assert_eq!(due("rà soát các việc hoãn"), Err(TaskProblem::NoDeadline));
        // New Year's Day is a holiday and 2/1/2027 a Saturday.
        let late = NaiveDate::from_ymd_opt(2026, 12, 29).unwrap();
        assert_eq!(
            deadline(&Text::new("trong 3 ngày làm việc"), late).map(|d| d.to_string()),
            ok("2027-01-04")
        );
    }

    fn unit(q: &str, scope: &Scope) -> Result<Vec<String>, TaskProblem> {
        d(
            &format!("{q} rà soát các việc tồn đọng, báo cáo trước 15/12"),
            scope,
        )
        .map(|t| t.don_vi_ma)
    }

    fn units(v: &[&str]) -> Result<Vec<String>, TaskProblem> {
        Ok(v.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn assignees_from_names_aliases_and_regions() {
        let n = &Scope::National;
        assert_eq!(unit("Giao THADS TP Hà Nội", n), units(&["T01"]));
        assert_eq!(unit("giao thads ha noi", n), units(&["T01"]));
        assert_eq!(unit("Giao THADS TP.HCM", n), units(&["T79"]));
        assert_eq!(unit("Giao THADS Sài Gòn", n), units(&["T79"]));
        assert_eq!(unit("Giao THADS Bình Dương", n), units(&["T79"]));
        assert_eq!(unit("Giao THADS Thừa Thiên Huế", n), units(&["T46"]));
        assert_eq!(unit("Giao THADS tỉnh Khánh Hoà", n), units(&["T56"]));
        assert_eq!(unit("Giao THADS tinh khanh hoa", n), units(&["T56"]));
        assert_eq!(unit("Yêu cầu THADS HN", n), units(&["T01"]));
        assert_eq!(
            unit("Giao Phòng THADS khu vực 3 Đà Nẵng", n),
            units(&["T48-KV03"])
        );
        assert_eq!(unit("giao phong kv 2 can tho", n), units(&["T92-KV02"]));
        assert_eq!(unit("Giao đơn vị T01-KV03", n), units(&["T01-KV03"]));
        assert_eq!(
            unit("Giao THADS Hà Nội và Hải Phòng", n),
            units(&["T01", "T31"])
        );
        assert_eq!(
            unit("Giao các tỉnh Tây Nguyên", n),
            units(&["T52", "T66", "T68"])
        );
        let hcm = &Scope::Province {
            ma_tinh: "79".into(),
        };
        assert_eq!(unit("Giao Phòng khu vực 5", hcm), units(&["T79-KV05"]));
    }

    #[test]
    fn a_command_to_several_offices_goes_to_each() {
        let hcm = &Scope::Province {
            ma_tinh: "79".into(),
        };
        assert_eq!(
            unit("Yêu cầu các Phòng THADS khu vực 3, 8 và 12 rà soát", hcm),
            units(&["T79-KV03", "T79-KV08", "T79-KV12"])
        );
        assert_eq!(
            unit("Giao Phòng khu vực 4 và Phòng khu vực 8 đối chiếu", hcm),
            units(&["T79-KV04", "T79-KV08"])
        );
    }

    #[test]
    fn a_past_period_or_date_before_the_deadline_describes_the_records() {
        let t = d(
            "yeu cau thads hue doi chieu cac bien lai hop le thu trong quy truoc, xong truoc 15/12",
            &Scope::National,
        )
        .unwrap();
        assert_eq!(t.han_hoan_thanh.to_string(), "2026-12-15");
        let sql = t.scope.unwrap().sql;
        assert!(sql.contains("'2026-07-01' AND '2026-09-30'"), "{sql}");
    }

    #[test]
    fn unclear_assignees_are_asked_back() {
        let n = &Scope::National;
        assert!(matches!(
            unit("Giao THADS ĐN", n),
            Err(TaskProblem::AmbiguousUnit { .. })
        ));
        assert!(matches!(
            unit("Giao THADS QN", n),
            Err(TaskProblem::AmbiguousUnit { .. })
        ));
        assert_eq!(
            unit("Giao Phòng khu vực 5", n),
            Err(TaskProblem::OfficeUnresolved(5))
        );
        assert_eq!(
            unit("Giao Phòng khu vực 25 Hà Nội", n),
            Err(TaskProblem::OfficeUnresolved(25))
        );
        assert_eq!(unit("Giao", n), Err(TaskProblem::NoAssignee));
        let hn = &Scope::Province {
            ma_tinh: "01".into(),
        };
        assert!(matches!(
            unit("Giao THADS Đà Nẵng", hn),
            Err(TaskProblem::OutOfScope(_))
        ));
        assert!(d("Giao THADS Hà Nội rà soát việc tồn trước 1/1/2026", n)
            .is_err_and(|e| matches!(e, TaskProblem::PastDeadline(_))));
    }

    #[test]
    fn quantities_and_postponed_cases() {
        let p79 = &Scope::Province {
            ma_tinh: "79".into(),
        };
        let t = d(
            "Giao Phòng khu vực 5 đôn đốc cưỡng chế 20 việc có điều kiện có số tiền phải thi hành lớn nhất, xong trước ngày 31/12/2026.",
            p79,
        )
        .unwrap();
        assert_eq!(t.so_luong, Some(20));
        assert_eq!(t.don_vi_ma, ["T79-KV05"]);
        assert!(t.scope.unwrap().sql.ends_with("LIMIT 20"));
        let n = &Scope::National;
        let t = d(
            "giao thads an giang kiem tra 30 viec hoan lau nhat, bao cao truoc 10/12",
            n,
        )
        .unwrap();
        assert_eq!(t.so_luong, Some(30));
        assert!(t.scope.unwrap().sql.contains("'hoan'"));
        // "hoàn thành" is not "hoãn".
        let t = d(
            "Giao THADS Hà Nội rà soát các việc tồn đọng, hoàn thành trong 2 tuần",
            n,
        )
        .unwrap();
        assert!(!t.scope.unwrap().sql.contains("'hoan'"));
        let t = d(
            "Giao THADS Hà Nội kiểm tra 15 hồ sơ tồn đọng trước 15/12",
            n,
        )
        .unwrap();
        assert_eq!(t.so_luong, Some(15));
    }
}
