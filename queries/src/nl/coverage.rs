//! Nothing dropped silently: the parts of a question a compiled plan does not express.
//!
//! A plan that answers a narrower or broader question than the one asked is the worst answer a
//! leader can be shown. After compiling, every content part the question states is checked
//! against what the SQL does: conditions no join path reaches ([`Compiled::not_applied`]),
//! comparisons ("so với", "so sánh", "cùng kỳ"), shares ("chiếm bao nhiêu phần trăm"), lists
//! ("danh sách", "những việc nào"), a breakdown ("từng phòng", "theo tháng", "10 chấp hành
//! viên nào") answered with one figure, and a second period. What is left is named; the question is
//! then answered another way or declined with those names, never answered as if it were
//! another.

use super::cues;
use super::link::Linked;
use super::normalize::Text;
use super::plan::{is_plain_figure, is_record_list, metric, Compiled, Plan};

/// Words that ask to compare.
const COMPARE: &[&str] = &[
    "so voi",
    "so sanh",
    "cung ky",
    "chenh lech",
    "tang hay giam",
    "tang giam",
    "tang bao nhieu",
    "giam bao nhieu",
    "bien dong",
];

/// Words that ask for a list of records or groups.
const LIST: &[&str] = &["danh sach", "liet ke", "ke ra", "cu the tung"];

/// Words that ask for a share.
const SHARE: &[&str] = &["chiem", "phan tram", "ty le", "%"];

/// Phrases in which "mỗi …" divides rather than groups ("bình quân mỗi chấp hành viên").
const PER: &[&str] = &[
    "binh quan moi",
    "trung binh moi",
    "tinh tren moi",
    "tinh binh quan moi",
    "tren moi",
];

/// The dimensions the question asks to break the figure down by ([`cues::explicit_dims`]),
/// leaving out a "mỗi" that divides.
fn breakdown_asked(text: &Text, linked: &Linked) -> Vec<&'static str> {
    let mut folded = format!(" {} ", text.folded);
    for p in PER {
        folded = folded.replace(&format!(" {p} "), " ");
    }
    cues::explicit_dims(&Text::new(folded.trim()), linked)
}

/// The parts of the question the compiled plan leaves out, in Vietnamese (empty: covered).
pub fn gaps(text: &Text, linked: &Linked, plan: &Plan, compiled: &Compiled) -> Vec<String> {
    let mut out = compiled.not_applied.clone();
    let Some(m) = metric(plan.metric) else {
        return out;
    };
    let grouped = plan.by != "khong";
    let several_units = linked.provinces.len() + linked.mien.len() + linked.vung.len() > 1;
    if text.has_any(COMPARE)
        && !linked.wants_target
        && !(grouped || several_units || compiled.compared)
    {
        out.push("phép so sánh (“so với”, “so sánh”, “cùng kỳ”)".into());
    }
    if text.has_any(SHARE) && m.unit != "%" && compiled.described.is_empty() && !grouped {
        out.push("tỷ lệ phần trăm".into());
    }
    // "chiếm bao nhiêu phần trăm" of each group, answered with each group's count.
    if grouped
        && text.has_any(&["chiem", "phan tram"])
        && is_plain_figure(m.key)
        && compiled.described.is_empty()
    {
        out.push("tỷ lệ phần trăm của từng nhóm".into());
    }
    // "bình quân 1 biên lai", "trung bình mỗi việc": an average asked, a total given.
    if text.has_any(&["binh quan", "trung binh"]) && is_plain_figure(m.key) {
        out.push("giá trị bình quân (kế hoạch chỉ tính tổng)".into());
    }
    // "tính theo dân số", "trên 10.000 dân": a figure per inhabitant.
    if text.has_any(&["dan so", "nghin dan", "10000 dan", "10 000 dan", "van dan"])
        && !compiled.sql.contains("dan_so")
    {
        out.push("số liệu tính theo dân số".into());
    }
    if text.has_any(LIST) && !grouped && is_plain_figure(m.key) {
        out.push("danh sách (câu hỏi hỏi danh sách, kế hoạch chỉ đếm)".into());
    }
    // A list of records has a row per record already ("các việc …, gồm mã việc, đơn vị …").
    if !grouped
        && !compiled.compared
        && !is_record_list(m.key)
        && !breakdown_asked(text, linked).is_empty()
    {
        out.push(
            "số liệu theo từng nhóm (câu hỏi hỏi chia theo nhóm, kế hoạch chỉ tính một con số)"
                .into(),
        );
    }
    // "bao nhiêu việc thụ lý mới và bao nhiêu việc thi hành xong": each "bao nhiêu" asks a
    // figure; a part or a comparison gives several, a second value one more.
    let asked = text.folded.matches("bao nhieu").count();
    let given = 1
        + usize::from(plan.also.is_some())
        + if compiled.described.is_empty() { 0 } else { 2 }
        + if compiled.compared { 2 } else { 0 };
    // Several values of the grouping named ("bao nhiêu lượt phong tỏa và bao nhiêu lượt khấu
    // trừ"): a row per value answers each.
    let per_value = [plan.by, plan.by2]
        .iter()
        .any(|d| cues::several_values(d, linked));
    if asked > given && !per_value {
        out.push(format!(
            "{asked} con số được hỏi (kế hoạch chỉ tính {given})"
        ));
    }
    if !linked.more_offices.is_empty() && plan.by != "phong_kv" {
        out.push(format!(
            "các phòng khu vực khác được nêu ({})",
            linked.more_offices.join(", ")
        ));
    }
    if linked.second_period.is_some() && !compiled.compared {
        out.push("kỳ thứ hai để so sánh".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nl::link::link;
    use crate::nl::plan::{compile, Context};
    use crate::Scope;
    use chrono::NaiveDate;

    fn gaps_of(q: &str, metric: &'static str, set: &'static str, by: &'static str) -> Vec<String> {
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let text = Text::new(q);
        let linked = link(&text, &Scope::National, as_of);
        let plan = Plan {
            metric,
            set,
            by,
            order: "khong",
            limit: None,
            also: None,
            by2: "khong",
        };
        let compiled = compile(
            &plan,
            &Context {
                linked: &linked,
                scope: &Scope::National,
                as_of,
            },
        )
        .unwrap();
        gaps(&text, &linked, &plan, &compiled)
    }

    #[test]
    fn a_share_an_average_or_a_per_capita_figure_is_not_a_count() {
        assert!(!gaps_of(
            "ở từng vùng thì việc có điều kiện chiếm bao nhiêu phần trăm tổng số việc",
            "so_viec",
            "tat_ca",
            "vung"
        )
        .is_empty());
        assert!(!gaps_of(
            "bình quân 1 biên lai hợp lệ thu bao nhiêu triệu đồng",
            "tien_bien_lai",
            "tat_ca",
            "khong"
        )
        .is_empty());
        assert!(!gaps_of(
            "tỉnh nào thụ lý mới nhiều việc nhất tính theo dân số",
            "so_viec",
            "tat_ca",
            "tinh"
        )
        .is_empty());
    }

    #[test]
    fn each_figure_asked_must_be_given() {
        let two = "Quý trước bao nhiêu việc thụ lý mới và bao nhiêu việc thi hành xong?";
        assert!(!gaps_of(two, "so_viec", "xong", "khong").is_empty());
        // One row per value named answers each "bao nhiêu".
        assert!(gaps_of(
            "bao nhiêu lượt phong tỏa tài khoản và bao nhiêu lượt khấu trừ tiền trong tài khoản",
            "so_bien_phap",
            "tat_ca",
            "loai_bien_phap"
        )
        .is_empty());
    }

    #[test]
    fn a_plan_that_expresses_everything_has_no_gap() {
        assert!(gaps_of(
            "Có bao nhiêu việc KDTM trên 1 tỷ ở Hà Nội?",
            "so_viec",
            "tat_ca",
            "khong"
        )
        .is_empty());
        assert!(gaps_of(
            "So sánh tỷ lệ thi hành xong về việc giữa miền Bắc, miền Trung và miền Nam",
            "ty_le_xong_viec",
            "tat_ca",
            "mien"
        )
        .is_empty());
        assert!(gaps_of(
            "Quyết định đã ký chiếm bao nhiêu phần trăm, trong đó bao nhiêu được ký số?",
            "so_quyet_dinh",
            "tat_ca",
            "khong"
        )
        .is_empty());
        // A province against the country, two periods side by side.
        assert!(gaps_of(
            "Tỷ lệ thi hành xong về việc của Hà Nội so với cả nước",
            "ty_le_xong_viec",
            "tat_ca",
            "khong"
        )
        .is_empty());
        assert!(gaps_of(
            "Số việc thụ lý tháng này so với tháng trước",
            "so_viec",
            "tat_ca",
            "khong"
        )
        .is_empty());
    }

    #[test]
    fn what_the_plan_leaves_out_is_named() {
        // A receipt condition on a count of petitions: no join path.
        let g = gaps_of(
            "Có bao nhiêu đơn khiếu nại về biên lai bị hủy?",
            "so_don",
            "tat_ca",
            "khong",
        );
        assert_eq!(g.len(), 1, "{g:?}");
        // A comparison the plan cannot make (two periods of a breakdown).
        let g = gaps_of(
            "Số việc thụ lý tháng này so với tháng trước theo từng tỉnh",
            "so_viec",
            "tat_ca",
            "tinh",
        );
        assert!(g.iter().any(|x| x.contains("kỳ thứ hai")), "{g:?}");
        // A list answered with a count.
        let g = gaps_of(
            "Danh sách các việc chưa có điều kiện ở Huế",
            "so_viec",
            "chua_co_dieu_kien",
            "khong",
        );
        assert!(g.iter().any(|x| x.contains("danh sách")), "{g:?}");
        // A breakdown answered with one figure.
        for q in [
            "Từng phòng khu vực của Hà Nội hiện có bao nhiêu chấp hành viên đang công tác?",
            "so viec thu ly moi theo tung thang nam nay",
            "Số đơn khiếu nại chia theo kênh tiếp nhận",
        ] {
            let g = gaps_of(q, "so_viec", "tat_ca", "khong");
            assert!(g.iter().any(|x| x.contains("từng nhóm")), "{q}: {g:?}");
        }
    }

    #[test]
    fn a_per_unit_average_is_not_a_breakdown() {
        for q in [
            "Bình quân mỗi chấp hành viên thi hành xong bao nhiêu việc?",
            "Trung bình mỗi tháng thụ lý bao nhiêu việc?",
        ] {
            let g = gaps_of(q, "so_viec", "tat_ca", "khong");
            assert!(!g.iter().any(|x| x.contains("từng nhóm")), "{q}: {g:?}");
        }
        // A list of records is one row per record: not a figure to break down.
        assert!(!gaps_of(
            "Liệt kê các nhiệm vụ đã giao cho các phòng khu vực của Hà Nội",
            "ds_nhiem_vu",
            "tat_ca",
            "khong"
        )
        .iter()
        .any(|x| x.contains("từng nhóm")));
        // Grouped as asked: covered.
        assert!(gaps_of(
            "Số việc thụ lý theo từng tháng",
            "so_viec",
            "tat_ca",
            "thang"
        )
        .is_empty());
    }
}
