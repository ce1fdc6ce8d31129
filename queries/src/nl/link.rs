//! Entity linking: the places, units, codes, amounts and periods a question names, resolved
//! to canonical codes before any model sees the question (DOMAIN.md §7).
//!
//! Names match on the folded text (no diacritics, any case), longest first, each word used by
//! one entity. When the user typed diacritics, they must agree with the name ("Điện Biên" is a
//! province, "diễn biến" is not). Short abbreviations ("HN", "CT", "HS") match only in upper
//! case, so ordinary words are not taken for them.

use chrono::NaiveDate;

use super::normalize::{fold, has_diacritics, light, parse_number, Text};
use super::time::{self, Period};
use crate::org::{self, PROVINCES};
use crate::Scope;

/// A province named in the question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvinceRef {
    pub ma_tinh: &'static str,
    /// The pre-2025 province name used, when the user named an old province.
    pub old_name: Option<String>,
}

/// A comparison on an amount of money, in đồng.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmountFilter {
    pub op: &'static str,
    pub dong: i64,
}

/// Everything linked in one question.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Linked {
    pub provinces: Vec<ProvinceRef>,
    /// `tinh.mien` codes named ("miền Bắc").
    pub mien: Vec<&'static str>,
    /// `tinh.vung` codes named ("miền Tây", "Tây Nguyên").
    pub vung: Vec<&'static str>,
    /// A regional office code, e.g. `T92-KV01`.
    pub office: Option<String>,
    /// A regional office number given without a province the caller could resolve.
    pub office_number_unresolved: Option<u32>,
    pub loai_an: Vec<&'static str>,
    /// `don_thu.loai`.
    pub loai_don: Vec<&'static str>,
    /// `don_thu.kenh`.
    pub kenh_don: Vec<&'static str>,
    /// `bien_lai.kenh_gui`.
    pub kenh_gui: Vec<&'static str>,
    /// `bien_phap_cuong_che.loai`.
    pub bien_phap: Vec<&'static str>,
    /// `quyet_dinh.loai` ("quyết định cưỡng chế", "QĐ hoãn").
    pub loai_quyet_dinh: Vec<&'static str>,
    /// `viec_thi_hanh.hinh_thuc`.
    pub hinh_thuc: Option<&'static str>,
    /// The creditor is a credit institution ("án tín dụng", "tín dụng ngân hàng").
    pub tin_dung: bool,
    /// "điện tử" (receipts).
    pub dien_tu: bool,
    pub amount: Option<AmountFilter>,
    /// "top 5", "5 tỉnh", "10 phòng": how many rows the user wants.
    pub top_n: Option<u32>,
    pub period: Option<Period>,
    /// "tỉnh mình", "đơn vị tôi": the caller's own province.
    pub own_unit: bool,
    /// "cả nước", "toàn quốc".
    pub whole_country: bool,
    /// "so với chỉ tiêu": the answer adds the unit's target.
    pub wants_target: bool,
    /// Facts the answer must state (old province names, informal regions).
    pub notes: Vec<String>,
}

impl Linked {
    /// Province codes, in mention order, without repeats.
    pub fn province_codes(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for p in &self.provinces {
            if !out.contains(&p.ma_tinh) {
                out.push(p.ma_tinh);
            }
        }
        out
    }
}

/// Words of the question with a flag for those already taken by an entity.
struct Words<'a> {
    folded: Vec<&'a str>,
    cased: Vec<&'a str>,
    light: Vec<String>,
    used: Vec<bool>,
}

impl<'a> Words<'a> {
    fn new(text: &'a Text) -> Self {
        let folded = text.words();
        let cased: Vec<&str> = text
            .folded_case
            .split(' ')
            .filter(|w| !w.is_empty())
            .collect();
        let mut light: Vec<String> = text
            .light
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect();
        if light.len() != folded.len() {
            // Alignment lost (an unusual character): fall back to diacritics-free matching.
            light = folded.iter().map(|w| (*w).to_owned()).collect();
        }
        let used = vec![false; folded.len()];
        Words {
            folded,
            cased,
            light,
            used,
        }
    }

    /// Finds `phrase` (folded words) at a free position; marks and returns its start. When the
    /// user wrote diacritics there, `accent` (the name's light form) must match them.
    fn take(&mut self, phrase: &str, accent: Option<&str>) -> Option<usize> {
        let p: Vec<&str> = phrase.split(' ').collect();
        let n = p.len();
        if n == 0 || n > self.folded.len() {
            return None;
        }
        for i in 0..=self.folded.len() - n {
            if self.used[i..i + n].iter().any(|u| *u) || self.folded[i..i + n] != p[..] {
                continue;
            }
            if let Some(accent) = accent {
                let typed = self.light[i..i + n].join(" ");
                if has_diacritics(&typed) && !accents_agree(&typed, accent) {
                    continue;
                }
            }
            self.used[i..i + n].iter_mut().for_each(|u| *u = true);
            return Some(i);
        }
        None
    }

    /// Finds an upper-case abbreviation written exactly as `abbr` (folded, case kept).
    fn take_upper(&mut self, abbr: &str) -> Option<usize> {
        let i = (0..self.cased.len()).find(|&i| !self.used[i] && self.cased[i] == abbr)?;
        self.used[i] = true;
        Some(i)
    }
}

/// Whether the typed words (light form) agree with a name's diacritics. A word typed without
/// any mark is accepted (partial typing), one with marks must equal the name's word.
fn accents_agree(typed: &str, name: &str) -> bool {
    let t: Vec<&str> = typed.split(' ').collect();
    let n: Vec<&str> = name.split(' ').collect();
    t.len() == n.len() && t.iter().zip(&n).all(|(a, b)| !has_diacritics(a) || a == b)
}

/// A name, its folded form and the form its diacritics are checked against.
struct Name {
    folded: String,
    light: String,
}

impl Name {
    fn new(s: &str) -> Name {
        Name {
            folded: fold(s),
            light: light(s),
        }
    }
}

/// Links `text` for a caller with `scope`, as of `as_of`.
pub fn link(text: &Text, scope: &Scope, as_of: NaiveDate) -> Linked {
    let mut words = Words::new(text);
    let mut out = Linked {
        period: time::resolve(text, as_of),
        ..Linked::default()
    };
    // Phrases that contain other entities' words, removed first.
    for phrase in [
        "thi hanh an dan su",
        "co quan thi hanh an",
        "dang cong tac",
        "cong tac",
        "so dien thoai",
        "dien thoai",
        "lanh dao",
        "tay nguyen",
    ] {
        if phrase == "tay nguyen" {
            while words.take(phrase, None).is_some() {
                push(&mut out.vung, "tay_nguyen");
            }
            continue;
        }
        while words.take(phrase, None).is_some() {}
    }
    link_regions(&mut words, &mut out);
    link_provinces(&mut words, &mut out);
    link_office(text, &mut words, scope, &mut out);
    link_codes(&mut words, &mut out);
    out.amount = link_amount(text);
    out.top_n = link_top_n(text);
    out.own_unit = text.has_any(&[
        "tinh minh",
        "don vi minh",
        "don vi toi",
        "tinh toi",
        "thanh pho minh",
        "dia phuong minh",
        "cua minh",
        "cua toi",
    ]);
    out.wants_target = text.has_any(&["chi tieu", "ke hoach duoc giao"]);
    out.whole_country = text.has_any(&["ca nuoc", "toan quoc", "toan nganh", "ca nganh"]);
    out
}

fn push<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

fn link_regions(words: &mut Words<'_>, out: &mut Linked) {
    const VUNG: [(&str, &str); 14] = [
        ("dong bang song cuu long", "dbscl"),
        ("trung du va mien nui phia bac", "tdmnpb"),
        ("trung du mien nui phia bac", "tdmnpb"),
        ("mien nui phia bac", "tdmnpb"),
        ("bac trung bo va duyen hai mien trung", "btb_dhmt"),
        ("duyen hai mien trung", "btb_dhmt"),
        ("bac trung bo", "btb_dhmt"),
        ("dong bang song hong", "dbsh"),
        ("dong nam bo", "dnb"),
        ("tay nam bo", "dbscl"),
        ("mien tay", "dbscl"),
        ("dbscl", "dbscl"),
        ("tay bac", "tdmnpb"),
        ("dong bac", "tdmnpb"),
    ];
    for (phrase, code) in VUNG {
        while words.take(phrase, None).is_some() {
            push(&mut out.vung, code);
            if matches!(phrase, "tay bac" | "dong bac") {
                push(
                    &mut out.notes,
                    "Tây Bắc/Đông Bắc không phải vùng thống kê; số liệu tính cho vùng Trung du và miền núi phía Bắc.".to_owned(),
                );
            }
        }
    }
    const MIEN: [(&str, &str); 7] = [
        ("mien bac", "bac"),
        ("phia bac", "bac"),
        ("bac bo", "bac"),
        ("mien trung", "trung"),
        ("trung bo", "trung"),
        ("mien nam", "nam"),
        ("nam bo", "nam"),
    ];
    for (phrase, code) in MIEN {
        while words.take(phrase, None).is_some() {
            push(&mut out.mien, code);
        }
    }
    // "miền Bắc, Trung và Nam": the region word once, then bare names.
    if !out.mien.is_empty() {
        for (w, code) in [("bac", "bac"), ("trung", "trung"), ("nam", "nam")] {
            if words.take(w, None).is_some() {
                push(&mut out.mien, code);
            }
        }
    }
}

fn link_provinces(words: &mut Words<'_>, out: &mut Linked) {
    // (folded phrase, accent form, province, old name if it is a pre-2025 province)
    let mut names: Vec<(Name, &'static str, Option<&'static str>)> = Vec::new();
    let mut abbrs: Vec<(String, &'static str)> = Vec::new();
    for p in &PROVINCES {
        names.push((Name::new(p.ten), p.ma_tinh, None));
        for old in p.tinh_cu.split("; ") {
            let old = old.trim_start_matches("TP. ");
            if fold(old) != fold(p.ten) {
                names.push((Name::new(old), p.ma_tinh, Some(old)));
            }
        }
        for alias in p.aliases {
            let f = super::normalize::fold_keep_case(alias);
            let is_abbr = f.len() <= 5 && f.chars().all(|c| c.is_ascii_uppercase() || c == ' ');
            if is_abbr {
                abbrs.push((f.replace(' ', ""), p.ma_tinh));
                abbrs.push((f, p.ma_tinh));
            } else {
                names.push((Name::new(alias), p.ma_tinh, None));
            }
        }
    }
    // Abbreviations people write that are not in the alias column.
    for (abbr, code) in [
        ("DNai", "75"),
        ("HCM", "79"),
        ("TPHCM", "79"),
        ("TpHCM", "79"),
    ] {
        abbrs.push((abbr.to_owned(), code));
    }
    names.push((Name::new("tp hcm"), "79", None));
    names.push((Name::new("thanh pho ho chi minh"), "79", None));
    names.push((Name::new("sai gon"), "79", None));
    names.push((Name::new("hcm"), "79", None));
    names.push((Name::new("tphcm"), "79", None));
    names.push((Name::new("dnai"), "75", None));
    names.sort_by_key(|(n, _, _)| std::cmp::Reverse(n.folded.split(' ').count()));
    let mut found: Vec<(usize, ProvinceRef)> = Vec::new();
    for (name, code, old) in &names {
        while let Some(at) = words.take(&name.folded, Some(&name.light)) {
            found.push((
                at,
                ProvinceRef {
                    ma_tinh: code,
                    old_name: old.map(str::to_owned),
                },
            ));
        }
    }
    for (abbr, code) in &abbrs {
        while let Some(at) = words.take_upper(abbr) {
            found.push((
                at,
                ProvinceRef {
                    ma_tinh: code,
                    old_name: None,
                },
            ));
        }
    }
    found.sort_by_key(|(at, _)| *at);
    for (_, p) in found {
        if let Some(old) = &p.old_name {
            let new = org::province(p.ma_tinh).map_or("", |x| x.ten);
            push(
                &mut out.notes,
                format!("{old} nay thuộc {new}; dữ liệu không tách theo tỉnh cũ nên số liệu là của cả {new}."),
            );
        }
        if !out.provinces.iter().any(|q| q.ma_tinh == p.ma_tinh) {
            out.provinces.push(p);
        }
    }
}

fn link_office(text: &Text, words: &mut Words<'_>, scope: &Scope, out: &mut Linked) {
    let w = text.words();
    let mut number = None;
    for (i, word) in w.iter().enumerate() {
        let n = if *word == "kv" || (*word == "vuc" && i > 0 && w[i - 1] == "khu") {
            w.get(i + 1).and_then(|n| n.parse::<u32>().ok())
        } else {
            word.strip_prefix("kv").and_then(|n| n.parse::<u32>().ok())
        };
        if let Some(n) = n {
            number = Some(n);
            if let Some(k) = words.folded.iter().position(|x| x == word) {
                words.used[k] = true;
            }
            break;
        }
    }
    // A unit code typed as such: "T01-KV03".
    for word in &w {
        let up = word.to_uppercase();
        if let Some((t, kv)) = up.split_once("-KV") {
            if let (Some(code), Ok(n)) = (t.strip_prefix('T'), kv.parse::<u32>()) {
                if org::province(code).is_some() {
                    out.office = Some(format!("T{code}-KV{n:02}"));
                    return;
                }
            }
        }
    }
    let Some(n) = number else { return };
    let province = out
        .provinces
        .first()
        .map(|p| p.ma_tinh.to_owned())
        .or_else(|| scope.province().map(str::to_owned));
    match province.as_deref().and_then(org::province) {
        Some(p) if n >= 1 && n <= p.so_phong_kv => out.office = Some(p.regional_office_code(n)),
        _ => out.office_number_unresolved = Some(n),
    }
}

fn link_codes(words: &mut Words<'_>, out: &mut Linked) {
    let take_all = |words: &mut Words<'_>, phrases: &[&str], upper: &[&str]| -> bool {
        let mut hit = false;
        for p in phrases {
            while words.take(p, None).is_some() {
                hit = true;
            }
        }
        for u in upper {
            while words.take_upper(u).is_some() {
                hit = true;
            }
        }
        hit
    };
    const LOAI_AN: [(&str, &[&str], &[&str]); 7] = [
        (
            "hngd",
            &["hon nhan gia dinh", "hon nhan va gia dinh", "hngd"],
            &["HNGD"],
        ),
        (
            "kdtm",
            &["kinh doanh thuong mai", "kinh doanh", "kdtm"],
            &["KDTM"],
        ),
        ("hs", &["hinh su"], &["HS"]),
        ("ds", &["dan su"], &["DS"]),
        ("ld", &["lao dong"], &["LD"]),
        ("hc", &["hanh chinh"], &["HC"]),
        ("ps", &["pha san"], &["PS"]),
    ];
    for (code, phrases, upper) in LOAI_AN {
        if take_all(words, phrases, upper) {
            push(&mut out.loai_an, code);
        }
    }
    const LOAI_DON: [(&str, &[&str], &[&str]); 3] = [
        ("khieu_nai", &["khieu nai"], &["KN"]),
        ("to_cao", &["to cao"], &["TC"]),
        ("kien_nghi", &["kien nghi", "phan anh"], &[]),
    ];
    for (code, phrases, upper) in LOAI_DON {
        if take_all(words, phrases, upper) {
            push(&mut out.loai_don, code);
        }
    }
    const KENH: [(&str, &[&str]); 4] = [
        ("vneid", &["vneid", "vne id", "vn eid"]),
        ("qr", &["ma qr", "qr code", "qr"]),
        ("truc_tiep", &["truc tiep"]),
        ("buu_dien", &["buu dien", "buu chinh", "qua duong buu dien"]),
    ];
    for (code, phrases) in KENH {
        if take_all(words, phrases, &[]) {
            push(&mut out.kenh_don, code);
        }
    }
    const KENH_GUI: [(&str, &[&str]); 3] = [
        ("email", &["email", "thu dien tu", "e mail"]),
        ("sms", &["sms", "tin nhan"]),
        ("giay", &["ban giay", "ban in", "giay"]),
    ];
    for (code, phrases) in KENH_GUI {
        if take_all(words, phrases, &[]) {
            push(&mut out.kenh_gui, code);
        }
    }
    const BIEN_PHAP: [(&str, &[&str]); 10] = [
        ("ke_bien_tai_san", &["ke bien tai san", "ke bien"]),
        ("tham_dinh_gia", &["tham dinh gia"]),
        ("ban_dau_gia", &["ban dau gia", "dau gia"]),
        ("phong_toa_tai_khoan", &["phong toa tai khoan", "phong toa"]),
        ("khau_tru_tai_khoan", &["khau tru tai khoan", "khau tru"]),
        ("tru_thu_nhap", &["tru thu nhap", "tru vao thu nhap"]),
        ("tam_giu_tai_san", &["tam giu tai san", "tam giu"]),
        ("tam_dung_dang_ky", &["tam dung dang ky"]),
        ("khai_thac_tai_san", &["khai thac tai san"]),
        ("buoc_chuyen_giao", &["buoc chuyen giao"]),
    ];
    for (code, phrases) in BIEN_PHAP {
        if take_all(words, phrases, &[]) {
            push(&mut out.bien_phap, code);
        }
    }
    // Longest first: "quyết định tạm đình chỉ" is not "quyết định đình chỉ".
    const LOAI_QD: [(&str, &str); 8] = [
        ("quyet dinh chua co dieu kien", "chua_co_dieu_kien"),
        ("quyet dinh thi hanh an", "thi_hanh_an"),
        ("quyet dinh tam dinh chi", "tam_dinh_chi"),
        ("quyet dinh dinh chi", "dinh_chi"),
        ("quyet dinh tiep tuc", "tiep_tuc"),
        ("quyet dinh cuong che", "cuong_che"),
        ("quyet dinh uy thac", "uy_thac"),
        ("quyet dinh hoan", "hoan"),
    ];
    for (phrase, code) in LOAI_QD {
        if take_all(words, &[phrase], &[]) {
            push(&mut out.loai_quyet_dinh, code);
        }
    }
    if take_all(words, &["chu dong"], &[]) {
        out.hinh_thuc = Some("chu_dong");
    } else if take_all(words, &["theo yeu cau"], &[]) {
        out.hinh_thuc = Some("theo_yeu_cau");
    }
    out.tin_dung = take_all(
        words,
        &[
            "to chuc tin dung",
            "tin dung ngan hang",
            "tin dung",
            "ngan hang",
        ],
        &[],
    );
    out.dien_tu = words.take("dien tu", None).is_some();
}

/// "trên 1 tỷ", "từ 500 triệu trở lên", "dưới 10 triệu", "hơn 2,5 tỷ đồng".
fn link_amount(text: &Text) -> Option<AmountFilter> {
    let w = text.words();
    for (i, word) in w.iter().enumerate() {
        let Some(n) = parse_number(word) else {
            continue;
        };
        let unit = match w.get(i + 1).copied() {
            Some("ty") => 1e9,
            Some("trieu") => 1e6,
            Some("nghin" | "ngan") if w.get(i + 2) == Some(&"ty") => 1e12,
            Some("nghin" | "ngan") => 1e3,
            Some("dong" | "vnd" | "d") if n >= 1000.0 => 1.0,
            _ => continue,
        };
        let before = i
            .checked_sub(1)
            .and_then(|k| w.get(k))
            .copied()
            .unwrap_or("");
        let before2 = i
            .checked_sub(2)
            .and_then(|k| w.get(k))
            .copied()
            .unwrap_or("");
        let op = match (before2, before) {
            ("nho" | "it", "hon") => "<",
            (_, "tren" | "hon" | "vuot") => ">",
            (_, "tu") | ("toi", "thieu") => ">=",
            (_, "duoi") => "<",
            _ => continue,
        };
        #[allow(clippy::cast_possible_truncation)]
        let dong = (n * unit).round() as i64;
        return Some(AmountFilter { op, dong });
    }
    None
}

/// "top 5", "5 tỉnh", "10 phòng khu vực", "3 chấp hành viên".
fn link_top_n(text: &Text) -> Option<u32> {
    let w = text.words();
    for (i, word) in w.iter().enumerate() {
        if *word == "top" {
            if let Some(n) = w.get(i + 1).and_then(|n| n.parse::<u32>().ok()) {
                return Some(n);
            }
        }
        let Ok(n) = word.parse::<u32>() else { continue };
        if !(1..=1000).contains(&n) {
            continue;
        }
        let next = w.get(i + 1).copied().unwrap_or("");
        if matches!(
            next,
            "tinh" | "thanh" | "phong" | "don" | "chap" | "chv" | "can" | "viec" | "dia" | "noi"
        ) {
            // "6 tháng", "50 việc tồn đọng": a count of cases is a top-N only with a ranking word.
            if next == "viec" && !text.has_any(&["nhat", "lon nhat", "lau nhat", "cao nhat"]) {
                continue;
            }
            return Some(n);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn as_of() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
    }

    fn l(q: &str) -> Linked {
        link(&Text::new(q), &Scope::National, as_of())
    }

    #[test]
    fn provinces_with_and_without_diacritics_and_aliases() {
        assert_eq!(l("THADS TP. Hồ Chí Minh").province_codes(), ["79"]);
        assert_eq!(l("ty le cua tp hcm").province_codes(), ["79"]);
        assert_eq!(l("bao nhieu CHV o THADS Ha Noi").province_codes(), ["01"]);
        assert_eq!(l("so viec o HN").province_codes(), ["01"]);
        assert_eq!(l("DNai co bao nhieu phong KV").province_codes(), ["75"]);
        assert_eq!(l("Thanh Hoá và Khánh Hoà").province_codes(), ["38", "56"]);
        assert_eq!(l("Đà Nẵng").province_codes(), ["48"]);
        assert_eq!(l("Sài Gòn").province_codes(), ["79"]);
    }

    #[test]
    fn old_provinces_map_to_the_new_one_with_a_note() {
        let x = l("viec chua co dk o Binh Duong cu con bao nhieu");
        assert_eq!(x.province_codes(), ["79"]);
        assert!(x.notes[0].contains("Bình Dương"), "{:?}", x.notes);
        assert_eq!(l("Quảng Nam").province_codes(), ["48"]);
    }

    #[test]
    fn diacritics_must_agree_when_typed() {
        assert!(l("tình hình diễn biến số liệu").provinces.is_empty());
        assert_eq!(l("tỉnh Điện Biên").province_codes(), ["11"]);
        assert_eq!(l("tinh dien bien").province_codes(), ["11"]);
    }

    #[test]
    fn short_abbreviations_only_in_upper_case() {
        assert!(l("đang công tác").provinces.is_empty());
        assert!(l("ds các tỉnh").loai_an.is_empty());
        assert_eq!(l("việc HS").loai_an, ["hs"]);
        assert!(l("Thi hành án dân sự").loai_an.is_empty());
    }

    #[test]
    fn regions_and_offices() {
        assert_eq!(l("top 3 tinh mien tay").vung, ["dbscl"]);
        assert_eq!(
            l("giữa miền Bắc, miền Trung và miền Nam").mien,
            ["bac", "trung", "nam"]
        );
        assert_eq!(
            l("Phòng Thi hành án dân sự khu vực 1 của Cần Thơ")
                .office
                .as_deref(),
            Some("T92-KV01")
        );
        let hcm = Scope::Province {
            ma_tinh: "79".into(),
        };
        let x = link(&Text::new("Giao Phòng khu vực 5 đôn đốc"), &hcm, as_of());
        assert_eq!(x.office.as_deref(), Some("T79-KV05"));
        assert_eq!(l("phòng KV 3 Hà Nội").office.as_deref(), Some("T01-KV03"));
    }

    #[test]
    fn codes_amounts_and_counts() {
        let x = l("so viec KDTM tren 1 ty chua xong o HN");
        assert_eq!(x.loai_an, ["kdtm"]);
        assert_eq!(
            x.amount,
            Some(AmountFilter {
                op: ">",
                dong: 1_000_000_000
            })
        );
        assert_eq!(
            l("từ 2,5 tỷ đồng").amount,
            Some(AmountFilter {
                op: ">=",
                dong: 2_500_000_000
            })
        );
        assert_eq!(l("đơn khiếu nại gửi qua VNeID").kenh_don, ["vneid"]);
        assert_eq!(l("đơn khiếu nại gửi qua VNeID").loai_don, ["khieu_nai"]);
        assert_eq!(l("5 tỉnh có nhiều việc nhất").top_n, Some(5));
        assert_eq!(l("top 10 chấp hành viên").top_n, Some(10));
        assert_eq!(l("rà soát 50 việc tồn đọng lâu nhất").top_n, Some(50));
        assert_eq!(l("6 tháng đầu năm").top_n, None);
        assert!(l("việc tín dụng ngân hàng").tin_dung);
        assert_eq!(l("kê biên tài sản").bien_phap, ["ke_bien_tai_san"]);
    }
}
