//! Entity linking: the places, units, codes, amounts and periods a question names, resolved
//! to canonical codes before any model sees the question (DOMAIN.md §7).
//!
//! Names match on the folded text (no diacritics, any case), longest first, each word used by
//! one entity. When the user typed diacritics, they must agree with the name ("Điện Biên" is a
//! province, "diễn biến" is not). Short abbreviations ("HN", "CT", "HS") match only in upper
//! case, so ordinary words are not taken for them.

use chrono::NaiveDate;

use super::catalog::{self, Condition, Quantity, MEASURES, PARTY_ROLES, VOCAB};
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

/// The dates a duration runs between, on one base table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub base: super::plan::Base,
    pub start: &'static str,
    pub end: &'static str,
    /// Counted in working days (the calendar's `stt_ngay_lam_viec`).
    pub working: bool,
    /// Word positions of the steps' words (`start..end`): not conditions of their own.
    pub words: (usize, usize),
}

/// Steps of a case or a petition and their dates, longest phrase first.
const STEPS: &[(&str, super::plan::Base, &str)] = &[
    (
        "ra quyet dinh thi hanh an",
        super::plan::Base::Viec,
        "v.ngay_ra_quyet_dinh",
    ),
    (
        "ra quyet dinh",
        super::plan::Base::Viec,
        "v.ngay_ra_quyet_dinh",
    ),
    ("xac minh", super::plan::Base::Viec, "v.ngay_xac_minh"),
    ("thi hanh xong", super::plan::Base::Viec, "v.ngay_ket_thuc"),
    ("ket thuc", super::plan::Base::Viec, "v.ngay_ket_thuc"),
    ("thu ly", super::plan::Base::Viec, "v.ngay_thu_ly"),
    ("giai quyet", super::plan::Base::DonThu, "d.ngay_giai_quyet"),
    ("nhan don", super::plan::Base::DonThu, "d.ngay_nhan"),
    ("tiep nhan", super::plan::Base::DonThu, "d.ngay_nhan"),
    ("nhan", super::plan::Base::DonThu, "d.ngay_nhan"),
];

/// "từ <bước> đến (khi) <bước>", "… để <bước>", "… đến khi <bước>": the steps a duration runs
/// between (the first step of the record when only the end is named), and whether it is
/// counted in working days.
fn link_span(text: &Text) -> Option<Span> {
    if !text.has_any(&[
        "trung binh",
        "binh quan",
        "bao nhieu ngay",
        "bao lau",
        "so ngay",
    ]) {
        return None;
    }
    let f = &text.folded;
    let step_after = |marker: &str| -> Option<(super::plan::Base, &'static str)> {
        let at = super::normalize::find_words(f, marker)? + marker.len();
        let rest = f[at..].trim_start();
        let rest = rest
            .strip_prefix("khi ")
            .or_else(|| rest.strip_prefix("luc "))
            .unwrap_or(rest);
        STEPS
            .iter()
            .find(|(p, _, _)| rest.starts_with(p))
            .map(|(_, b, c)| (*b, *c))
    };
    let end = ["den", "de", "toi"].iter().find_map(|m| step_after(m))?;
    let start = step_after("tu").filter(|(b, _)| *b == end.0);
    let start = start.map_or(
        if end.0 == super::plan::Base::DonThu {
            "d.ngay_nhan"
        } else {
            "v.ngay_thu_ly"
        },
        |(_, c)| c,
    );
    // The words from the first marker to the end step's last word.
    let words = text.words();
    let first = ["tu", "den", "de", "toi"]
        .iter()
        .filter_map(|m| words.iter().position(|w| w == m))
        .min()
        .unwrap_or(0);
    (start != end.1).then_some(Span {
        base: end.0,
        start,
        end: end.1,
        working: text.has("ngay lam viec"),
        words: (first, (first + 8).min(words.len())),
    })
}

/// Where a question names a part of its rows, and whether it asks for its share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartMarker {
    /// Word position of the marker.
    pub at: usize,
    /// The part is named before the marker ("việc tín dụng chiếm bao nhiêu phần trăm"), not
    /// after it ("trong đó bao nhiêu được ký số", "bao nhiêu phần trăm gửi qua VNeID").
    pub before: bool,
    pub share: bool,
    /// Named by "trong đó" or "chiếm", which always ask for a part; "tỷ lệ", "phần trăm"
    /// may instead name a rate metric ("tỷ lệ thi hành xong").
    pub explicit: bool,
    /// When the part is named after the marker, the last word before it: the marker, or the
    /// word before the verb that ends the rows' own noun phrase ("bao nhiêu phần trăm số đơn tố
    /// cáo đã giải quyết | được kết luận là đúng": "đơn tố cáo" stays on the rows).
    pub until: usize,
}

impl PartMarker {
    /// Whether a value named at word `at` belongs to the part.
    pub fn holds(&self, at: usize) -> bool {
        if self.before {
            at < self.at
        } else {
            at > self.until
        }
    }
}

/// Verbs that end the noun phrase of the rows a share is taken of and begin the part
/// ("… biên lai hợp lệ | được gửi qua SMS", "… việc dân sự | có điều kiện", "… đơn | bị
/// giải quyết trễ hạn", "… người phải thi hành | là doanh nghiệp").
const PART_VERBS: &[&str] = &["duoc", "bi", "la", "co", "da", "dang"];

/// [`PartMarker::until`] for a share asked before its rows ("bao nhiêu phần trăm …", "tỷ lệ
/// …"): the word before the first verb after the rows' noun phrase that has a named condition
/// after it, so the conditions of the noun phrase stay on the rows; a verb that begins a
/// value's own words ("có điều kiện", "đã xác minh") is part of the noun phrase. The marker when
/// there is no such verb.
fn part_until(text: &Text, marker: &PartMarker, conditions: &[Condition]) -> usize {
    if marker.before || marker.explicit {
        return marker.at;
    }
    let words = text.words();
    (marker.at + 2..words.len())
        .filter(|&k| PART_VERBS.contains(&words[k]))
        .filter(|&k| conditions.iter().all(|c| c.at != k))
        .find(|&k| conditions.iter().any(|c| c.at > k))
        .map_or(marker.at, |k| k - 1)
}

/// What a list of records is ranked by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// "số tiền lớn nhất", "giá trị cao nhất".
    Amount,
    /// "lâu nhất", "cũ nhất", "sớm nhất".
    Oldest,
    /// "mới nhất", "gần đây nhất".
    Newest,
}

/// What a list is ranked by: the ranking words named first ("có số tiền lớn nhất: mã việc, …,
/// ngày xác minh gần nhất" ranks by amount).
fn link_sort(text: &Text) -> Option<SortKey> {
    let at = |phrases: &[&str]| {
        phrases
            .iter()
            .filter_map(|p| super::normalize::find_words(&text.folded, p))
            .min()
    };
    let money = text.has_any(&["so tien", "gia tri", "tien"]);
    let candidates = [
        (
            at(&["lau nhat", "cu nhat", "som nhat", "ton lau", "keo dai nhat"]),
            SortKey::Oldest,
        ),
        (
            at(&["moi nhat", "gan day nhat", "gan nhat"]),
            SortKey::Newest,
        ),
        (
            at(&[
                "lon nhat",
                "cao nhat",
                "nhieu nhat",
                "nho nhat",
                "thap nhat",
                "it nhat",
                "giam dan",
                "tang dan",
                "tu lon den nho",
                "tu nho den lon",
            ])
            .filter(|_| money),
            SortKey::Amount,
        ),
    ];
    candidates
        .into_iter()
        .filter_map(|(pos, key)| pos.map(|p| (p, key)))
        .min_by_key(|(p, _)| *p)
        .map(|(_, key)| key)
}

/// A threshold on elapsed time: "quá 30 ngày", "hơn 5 ngày làm việc", "trên 6 tháng".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duration {
    /// `>` (quá, hơn, trên), `>=` (từ … trở lên), `<` (dưới, chưa đến).
    pub op: &'static str,
    pub n: u32,
    pub unit: DurationUnit,
    /// Word position of the number.
    pub at: usize,
    /// The step it is counted from when one is named right before it ("đã xác minh hơn 60
    /// ngày"): the base and the date column.
    pub step: Option<(super::plan::Base, &'static str)>,
}

/// The unit of a [`Duration`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationUnit {
    Days,
    WorkingDays,
    Months,
    Years,
}

impl Duration {
    /// "quá 30 ngày", for the answer.
    pub fn label(&self) -> String {
        let unit = match self.unit {
            DurationUnit::Days => "ngày",
            DurationUnit::WorkingDays => "ngày làm việc",
            DurationUnit::Months => "tháng",
            DurationUnit::Years => "năm",
        };
        let op = match self.op {
            ">" => "quá",
            ">=" => "từ",
            _ => "dưới",
        };
        format!("{op} {} {unit}", self.n)
    }
}

/// Everything linked in one question.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Linked {
    pub provinces: Vec<ProvinceRef>,
    /// `tinh.mien` codes named ("miền Bắc").
    pub mien: Vec<&'static str>,
    /// `tinh.vung` codes named ("miền Tây", "Tây Nguyên").
    pub vung: Vec<&'static str>,
    /// A regional office code, e.g. `T92-KV01`.
    pub office: Option<String>,
    /// Both completion rates asked ("cả về việc lẫn về tiền"): K4 and K5 side by side.
    pub both_rates: bool,
    /// Money asked in triệu đồng ("bao nhiêu triệu đồng"), not the default tỷ đồng.
    pub in_millions: bool,
    /// The values named must all hold, not any one ("vừa phong tỏa vừa khấu trừ", "cả … lẫn
    /// …", "đồng thời"): records of several kinds are each required.
    pub all_of: bool,
    /// Further offices of the same province named with it ("Phòng khu vực 3, 8 và 12"): a
    /// command goes to each; a question about several offices is not the first one's.
    pub more_offices: Vec<String>,
    /// A regional office number given without a province the caller could resolve.
    pub office_number_unresolved: Option<u32>,
    /// Conditions named by catalog values and thresholds ("án KDTM", "biên lai bị hủy",
    /// "trên 1 tỷ", "tiến độ dưới 30 %"), in mention order ([`super::catalog`]).
    pub conditions: Vec<Condition>,
    /// Thresholds on time ("quá 30 ngày", "hơn 6 tháng", "5 ngày làm việc"): a rule's own
    /// threshold when the plan uses a rule, else an age condition on the set's date.
    pub durations: Vec<Duration>,
    /// A threshold no attribute takes ("trên 1.000 việc", "dưới 50 %"): a filter on the
    /// computed value of each group.
    pub value_threshold: Option<(&'static str, f64)>,
    /// "top 5", "5 tỉnh", "10 phòng": how many rows the user wants.
    pub top_n: Option<u32>,
    pub period: Option<Period>,
    /// The period [`Linked::period`] is compared with ("so với cùng kỳ năm trước").
    pub second_period: Option<Period>,
    /// A part of the rows the question asks about besides them: "trong đó bao nhiêu …" (a
    /// subset), "… chiếm bao nhiêu phần trăm" (a share).
    pub part: Option<PartMarker>,
    /// The two steps a duration is measured between ("từ thụ lý đến khi ra quyết định", "mất
    /// bao nhiêu ngày làm việc để ra quyết định").
    pub span: Option<Span>,
    /// Where the case sets' cue phrases are ([`super::cues::set_spans`]).
    pub set_spans: Vec<(&'static str, usize, usize)>,
    /// What a ranked list of records is ranked by ("số tiền lớn nhất", "lâu nhất").
    pub sort: Option<SortKey>,
    /// "tỉnh mình", "đơn vị tôi": the caller's own province.
    pub own_unit: bool,
    /// "cả nước", "toàn quốc".
    pub whole_country: bool,
    /// A unit compared with the whole country ("Nghệ An so với cả nước", "cao hơn hay thấp
    /// hơn mức chung của cả nước").
    pub compare_country: bool,
    /// "so với chỉ tiêu": the answer adds the unit's target.
    pub wants_target: bool,
    /// Facts the answer must state (old province names, informal regions).
    pub notes: Vec<String>,
}

impl Linked {
    /// How many values the question names for `table.column` ("qua mã QR và qua VNeID": 2).
    pub fn values_of(&self, table: &str, column: &str) -> usize {
        self.conditions
            .iter()
            .filter(|c| c.constrains(table, column))
            .count()
    }

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
    // Leadership positions and service status before "lãnh đạo" and "công tác" are set aside
    // below.
    link_vocab(&mut words, &mut out, |p| {
        p.contains("lanh dao") || p.contains("cong tac")
    });
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
    if let Some((first, second)) = time::compared_periods(text, as_of) {
        out.period = Some(first);
        out.second_period = Some(second);
    }
    link_vocab(&mut words, &mut out, |_| true);
    link_thresholds(text, &mut out);
    out.top_n = link_top_n(text);
    out.part = link_part(text).map(|p| PartMarker {
        until: part_until(text, &p, &out.conditions),
        ..p
    });
    out.set_spans = super::cues::set_spans(text);
    out.span = link_span(text);
    out.sort = link_sort(text);
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
    out.in_millions =
        text.has_any(&["trieu dong", "bao nhieu trieu", "tinh bang trieu"]) && !text.has("ty dong");
    out.wants_target = text.has_any(&["chi tieu", "ke hoach duoc giao"]);
    let words = text.words();
    out.all_of = words.iter().filter(|w| **w == "vua").count() >= 2
        || text.has_any(&["dong thoi", "ca hai bien phap", "ca hai loai"])
        || words
            .iter()
            .position(|w| *w == "ca")
            .is_some_and(|i| words[i..].contains(&"lan"));
    out.both_rates = (text.has("ve viec") && text.has("ve tien"))
        || text.has_any(&[
            "viec lan tien",
            "viec va tien",
            "viec va ve tien",
            "ca hai ty le",
            "hai ty le",
        ]);
    out.whole_country = text.has_any(&["ca nuoc", "toan quoc", "toan nganh", "ca nganh"]);
    out.compare_country = out.whole_country
        && (!out.provinces.is_empty()
            || out.own_unit
            || !out.vung.is_empty()
            || !out.mien.is_empty())
        && text.has_any(&[
            "so voi",
            "so sanh",
            "cao hon",
            "thap hon",
            "muc chung",
            "binh quan chung",
            "trung binh chung",
            "chenh lech",
            "ca hai",
        ]);
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
    // A bare name only inside such a list: after another region or "và", typed without
    // marks or with the region's own, and not a year ("miền Trung năm nay", "năm 2026").
    if !out.mien.is_empty() {
        for (name, code, accent) in [
            ("bac", "bac", "bắc"),
            ("trung", "trung", "trung"),
            ("nam", "nam", "nam"),
        ] {
            let listed = |i: usize| {
                let prev = i.checked_sub(1).map(|k| words.folded[k]);
                let next = words.folded.get(i + 1).copied().unwrap_or("");
                let typed = words.light[i].as_str();
                matches!(prev, Some("va" | "hoac" | "voi" | "bac" | "trung" | "nam"))
                    && (!has_diacritics(typed) || typed.to_lowercase() == accent)
                    && !matches!(
                        next,
                        "nay" | "ngoai" | "truoc" | "sau" | "thong" | "cong" | "tai"
                    )
                    && next.parse::<u32>().is_err()
            };
            let found = (0..words.folded.len())
                .find(|&i| !words.used[i] && words.folded[i] == name && listed(i));
            if let Some(i) = found {
                words.used[i] = true;
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
    // Every office number: "khu vực 3", "KV3", "kv 3", and the numbers listed after one
    // ("khu vực 3, 8 và 12").
    let mut numbers: Vec<u32> = Vec::new();
    let mut i = 0;
    while i < w.len() {
        let word = w[i];
        let (n, next) = if word == "kv" || (word == "vuc" && i > 0 && w[i - 1] == "khu") {
            (w.get(i + 1).and_then(|n| n.parse::<u32>().ok()), i + 2)
        } else {
            (
                word.strip_prefix("kv").and_then(|n| n.parse::<u32>().ok()),
                i + 1,
            )
        };
        let Some(n) = n else {
            i += 1;
            continue;
        };
        if let Some(k) = words.folded.iter().position(|x| *x == word) {
            words.used[k] = true;
        }
        push(&mut numbers, n);
        i = next;
        loop {
            let skip = usize::from(matches!(w.get(i), Some(&("va" | "voi"))));
            match w.get(i + skip).and_then(|x| x.parse::<u32>().ok()) {
                Some(n) => {
                    push(&mut numbers, n);
                    i += skip + 1;
                }
                None => break,
            }
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
    let Some(&n) = numbers.first() else { return };
    let province = out
        .provinces
        .first()
        .map(|p| p.ma_tinh.to_owned())
        .or_else(|| scope.province().map(str::to_owned));
    match province.as_deref().and_then(org::province) {
        Some(p) if (1..=p.so_phong_kv).contains(&n) => {
            out.office = Some(p.regional_office_code(n));
            out.more_offices = numbers[1..]
                .iter()
                .filter(|n| (1..=p.so_phong_kv).contains(*n))
                .map(|n| p.regional_office_code(*n))
                .collect();
        }
        _ => out.office_number_unresolved = Some(n),
    }
}

/// Values of the catalog ([`VOCAB`]), longest phrase first over the whole catalog, each word
/// used once. A party kind takes the role named just before it ("người phải thi hành án là
/// doanh nghiệp"), else its usual one.
fn link_vocab(words: &mut Words<'_>, out: &mut Linked, which: impl Fn(&str) -> bool) {
    let mut phrases: Vec<(&str, usize)> = VOCAB
        .iter()
        .enumerate()
        .flat_map(|(i, e)| e.phrases.iter().map(move |p| (*p, i)))
        .filter(|(p, _)| which(p))
        .collect();
    phrases.sort_by_key(|(p, _)| std::cmp::Reverse(p.split(' ').count()));
    let mut hits: Vec<(usize, usize)> = Vec::new();
    for (phrase, i) in phrases {
        while let Some(at) = words.take(phrase, None) {
            hits.push((at, i));
        }
    }
    for (i, e) in VOCAB.iter().enumerate() {
        for abbr in e.upper.iter().filter(|a| which(a)) {
            while let Some(at) = words.take_upper(abbr) {
                hits.push((at, i));
            }
        }
    }
    hits.sort_unstable();
    for (at, i) in hits {
        let e = &VOCAB[i];
        let cond = match e.targets {
            [("duong_su", kind)] if !kind.contains("vai_tro") => {
                let role = role_before(&words.folded, at).unwrap_or(catalog::default_role(kind));
                catalog::party(kind, role, e.label, at)
            }
            _ => Condition {
                targets: e
                    .targets
                    .iter()
                    .map(|(t, p)| (*t, (*p).to_owned()))
                    .collect(),
                label: e.label.to_owned(),
                soft: e.soft,
                negated: false,
                at,
            },
        };
        let negated = negated_before(&words.folded, at);
        let cond = Condition {
            negated,
            label: if negated {
                format!("không/chưa {}", cond.label)
            } else {
                cond.label
            },
            ..cond
        };
        if !out
            .conditions
            .iter()
            .any(|c| c.targets == cond.targets && c.negated == cond.negated)
        {
            out.conditions.push(cond);
        }
    }
}

/// Whether the value at `at` is said negated: "chưa", "không" (optionally with "được", "có",
/// "bị", "qua", "còn") right before it ("mà chưa bán đấu giá", "không có kê biên"), or left out
/// ("không tính các việc đình chỉ", "trừ án hình sự", "loại trừ những đơn kiến nghị").
fn negated_before(words: &[&str], at: usize) -> bool {
    let w = |k: usize| at.checked_sub(k).and_then(|i| words.get(i)).copied();
    let neg = |x: Option<&str>| matches!(x, Some("chua" | "khong"));
    if neg(w(1))
        || (matches!(
            w(1),
            Some("duoc" | "co" | "bi" | "qua" | "he" | "tung" | "con")
        ) && neg(w(2)))
    {
        return true;
    }
    // "không tính | không kể | không gồm | trừ | loại bỏ (các | những | số)? …".
    let skip = (1..=3)
        .take_while(|&k| matches!(w(k), Some("cac" | "nhung" | "so" | "moi")))
        .count();
    let (v1, v2) = (w(skip + 1), w(skip + 2));
    matches!(v1, Some("tru"))
        || (matches!(v1, Some("tinh" | "ke" | "gom" | "tinh den")) && v2 == Some("khong"))
        || (v1 == Some("gom") && v2 == Some("bao") && w(skip + 3) == Some("khong"))
        || (v1 == Some("bo") && v2 == Some("loai"))
}

/// The party role named in the few words before position `at`, nearest first.
fn role_before(words: &[&str], at: usize) -> Option<&'static str> {
    let from = at.saturating_sub(8);
    let before = words[from..at].join(" ");
    PARTY_ROLES
        .iter()
        .filter_map(|(p, role)| before.rfind(p).map(|k| (k + p.len(), *role)))
        .max_by_key(|(end, _)| *end)
        .map(|(_, role)| role)
}

/// The comparison a threshold's words make: "trên", "hơn", "quá", "vượt" → `>`; "từ", "tối
/// thiểu", "ít nhất" → `>=`; "dưới", "ít hơn", "chưa đến" → `<`; "không quá" → `<=`.
fn comparison(before2: &str, before: &str) -> Option<&'static str> {
    Some(match (before2, before) {
        ("nho" | "it" | "thap" | "ngan", "hon") => "<",
        ("khong" | "chua", "qua" | "vuot") => "<=",
        ("chua", "den" | "toi" | "du") => "<",
        (_, "tren" | "hon" | "vuot" | "qua") => ">",
        (_, "tu") | ("toi", "thieu") | ("it", "nhat") => ">=",
        (_, "duoi") => "<",
        (_, "bang") => "=",
        _ => return None,
    })
}

/// Whether the number at `i` closes a range opened by "từ <number>" a few words before ("từ
/// 200 triệu đến 1 tỷ", "từ 5 đến 10 ngày"): its bound is `<=`.
fn closes_range(w: &[&str], i: usize) -> bool {
    let before = i.checked_sub(1).and_then(|k| w.get(k)).copied();
    matches!(before, Some("den" | "toi"))
        && (3..=5).any(|k| {
            i.checked_sub(k).is_some_and(|j| {
                w[j] == "tu" && w.get(j + 1).and_then(|x| parse_number(x)).is_some()
            })
        })
}

/// Whether the words from `i` are "đồng nào" closing "(chưa | không) thu được …": the amount
/// collected is zero.
fn nothing_collected(w: &[&str], i: usize) -> bool {
    if w.get(i..i + 2) != Some(&["dong", "nao"][..]) {
        return false;
    }
    let before = &w[i.saturating_sub(5)..i];
    before.iter().any(|x| matches!(*x, "chua" | "khong"))
        && before.iter().any(|x| matches!(*x, "thu" | "nop" | "hanh"))
}

/// Nouns a count threshold counts ("trên 1.000 việc").
const COUNTED: &[&str] = &[
    "viec", "don", "bien", "quyet", "lan", "nguoi", "chap", "can", "nhiem", "ho", "phong",
];

/// Thresholds: a comparison word, a number and its unit. Money and percentages bind to the
/// numeric attribute named nearest before them ([`MEASURES`]; money without one binds to the
/// base's own amount), times become [`Duration`]s, and a count or a percentage no attribute
/// takes filters the computed values ([`Linked::value_threshold`]).
fn link_thresholds(text: &Text, out: &mut Linked) {
    let w = text.words();
    let light: Vec<&str> = text.light.split(' ').filter(|x| !x.is_empty()).collect();
    for i in 0..w.len() {
        if nothing_collected(&w, i) {
            if let Some(m) = MEASURES
                .iter()
                .find(|m| m.table == "viec_thi_hanh" && m.cues.contains(&"da thu"))
            {
                let label = format!("{} bằng 0", m.label);
                out.conditions.push(catalog::threshold(m, "=", 0, label, i));
            }
            continue;
        }
        let Some(n) = parse_number(w[i]) else {
            continue;
        };
        let at = |k: usize| w.get(k).copied().unwrap_or("");
        let before = i.checked_sub(1).map_or("", at);
        let before2 = i.checked_sub(2).map_or("", at);
        let op = if closes_range(&w, i) {
            "<="
        } else {
            match comparison(before2, before) {
                Some(op) => op,
                None => continue,
            }
        };
        // "từ 5 đến 10 ngày": the unit is said once, after the range's end.
        let unit_at = if before == "tu"
            && matches!(at(i + 1), "den" | "toi")
            && parse_number(at(i + 2)).is_some()
        {
            i + 2
        } else {
            i
        };
        let (next, next2, next3) = (at(unit_at + 1), at(unit_at + 2), at(unit_at + 3));
        let percent = w[i].ends_with('%') || next == "%" || (next, next2) == ("phan", "tram");
        let money = match (next, next2) {
            ("ty", _) => Some(1e9),
            ("trieu", _) => Some(1e6),
            ("nghin" | "ngan", "ty") => Some(1e12),
            ("nghin" | "ngan", _) => Some(1e3),
            ("dong" | "d", _) if n >= 1000.0 => Some(1.0),
            _ => None,
        };
        let duration = match (next, next2, next3) {
            ("ngay", "lam", "viec") => Some((DurationUnit::WorkingDays, 1)),
            ("ngay", _, _) => Some((DurationUnit::Days, 1)),
            ("tuan", _, _) => Some((DurationUnit::Days, 7)),
            ("thang", _, _) => Some((DurationUnit::Months, 1)),
            ("nam", _, _) if n < 100.0 => Some((DurationUnit::Years, 1)),
            _ => None,
        };
        let end = (i + 3).min(light.len());
        let words_label = light
            .get(i.saturating_sub(1)..end)
            .map(|x| x.join(" "))
            .unwrap_or_default();
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        if let Some((unit, k)) = duration {
            let before = w[i.saturating_sub(5)..i].join(" ");
            let step = STEPS
                .iter()
                .filter_map(|(p, b, c)| before.rfind(p).map(|k| (k, *b, *c)))
                .max_by_key(|(k, _, _)| *k)
                .map(|(_, b, c)| (b, c));
            out.durations.push(Duration {
                op,
                n: (n as u32).saturating_mul(k),
                unit,
                at: i,
                step,
            });
            continue;
        }
        let cued = measures_before(&w, i);
        let cue = cued.first().copied();
        #[allow(clippy::cast_possible_truncation)]
        match (money, percent, cue) {
            (Some(unit), _, Some(m)) if m.kind != Quantity::Percent => {
                let label = format!("{} {}", m.label, words_label);
                let value = (n * unit).round() as i64;
                let mut c = catalog::threshold(m, op, value, label, i);
                c.targets = cued
                    .iter()
                    .filter(|x| x.kind == m.kind)
                    .map(|x| (x.table, format!("{} {op} {value}", x.expr)))
                    .collect();
                out.conditions.push(c);
            }
            (Some(unit), _, None) => {
                let dong = (n * unit).round() as i64;
                // The base's own amount: a case's amount to enforce, a receipt's sum.
                out.conditions.push(Condition {
                    targets: MEASURES
                        .iter()
                        .filter(|m| m.kind == Quantity::Money && m.cues.contains(&"so tien"))
                        .map(|m| (m.table, format!("{} {op} {dong}", m.expr)))
                        .collect(),
                    label: format!("số tiền {words_label}"),
                    soft: false,
                    negated: false,
                    at: i,
                });
            }
            (None, true, Some(m)) if m.kind == Quantity::Percent => {
                let label = format!("{} {}", m.label, words_label);
                out.conditions
                    .push(catalog::threshold(m, op, n.round() as i64, label, i));
            }
            // Zero needs no unit: "số tiền phải thi hành bằng 0".
            (None, false, Some(m)) if m.kind == Quantity::Money && n == 0.0 => {
                let label = format!("{} {}", m.label, words_label);
                out.conditions.push(catalog::threshold(m, op, 0, label, i));
            }
            (None, _, Some(m)) if m.kind == Quantity::Count => {
                let label = format!("{} {}", m.label, words_label);
                out.conditions
                    .push(catalog::threshold(m, op, n.round() as i64, label, i));
            }
            (None, true, _) => out.value_threshold = Some((op, n)),
            (None, false, _) if COUNTED.contains(&next) => out.value_threshold = Some((op, n)),
            _ => {}
        }
    }
}

/// The numeric attributes whose cue ends nearest before word `i` (within the clause: at most
/// ten words back). One cue may name several ("số tiền": of a case, of a receipt): the base's
/// own is taken when the condition is placed.
fn measures_before(w: &[&str], i: usize) -> Vec<&'static catalog::Measure> {
    let window = &w[i.saturating_sub(10)..i];
    let found: Vec<(usize, usize, &'static catalog::Measure)> = MEASURES
        .iter()
        .flat_map(|m| m.cues.iter().map(move |c| (m, *c)))
        .filter_map(|(m, c)| {
            let cue: Vec<&str> = c.split(' ').collect();
            // The end of the cue's last occurrence, and its length (longer cues win ties).
            (cue.len()..=window.len())
                .rev()
                .find(|&end| window[end - cue.len()..end] == cue[..])
                .map(|end| (end, cue.len(), m))
        })
        .collect();
    let best = found.iter().map(|(end, len, _)| (*end, *len)).max();
    found
        .into_iter()
        .filter(|(end, len, _)| Some((*end, *len)) == best)
        .map(|(_, _, m)| m)
        .collect()
}

/// The marker of a part: "trong đó", "chiếm … phần trăm", "bao nhiêu phần trăm", "tỷ lệ".
fn link_part(text: &Text) -> Option<PartMarker> {
    let w = text.words();
    let find = |phrase: &str| -> Option<usize> {
        let p: Vec<&str> = phrase.split(' ').collect();
        (0..w.len()).find(|&i| w.get(i..i + p.len()) == Some(&p[..]))
    };
    if let Some(at) = find("trong do") {
        let share = text.has_any(&["phan tram", "ty le", "%"]);
        return Some(PartMarker {
            at,
            before: false,
            share,
            explicit: true,
            until: at,
        });
    }
    if let Some(at) = find("chiem") {
        return Some(PartMarker {
            at,
            before: true,
            share: true,
            explicit: true,
            until: at,
        });
    }
    [
        "bao nhieu phan tram",
        "bao nhieu %",
        "may phan tram",
        "ty le",
        "phan tram",
    ]
    .iter()
    .find_map(|p| find(p))
    .map(|at| PartMarker {
        at,
        before: false,
        share: true,
        explicit: false,
        until: at,
    })
}

/// "top 5", "5 tỉnh", "10 phòng khu vực", "3 chấp hành viên".
fn link_top_n(text: &Text) -> Option<u32> {
    // "ba tỉnh", "năm phòng": number words before a counted noun — typed as the number word
    // (not "Hải Phòng"), or without any diacritics.
    let light: Vec<&str> = text.light.split(' ').filter(|x| !x.is_empty()).collect();
    let as_number = [
        "hai", "ba", "bốn", "tư", "năm", "sáu", "bảy", "tám", "chín", "mười",
    ];
    let folded = text.words();
    let words: Vec<String> = folded
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let next = folded.get(i + 1).copied().unwrap_or("");
            let typed = light.get(i).copied().unwrap_or(w);
            let number_word =
                (as_number.contains(&typed) || typed == *w) && !(*w == "hai" && next == "phong");
            let counted = number_word
                && matches!(
                    next,
                    "tinh" | "phong" | "chap" | "don" | "can" | "thanh" | "dia"
                );
            match (*w, counted) {
                ("hai", true) => "2".into(),
                ("ba", true) => "3".into(),
                ("bon" | "tu", true) => "4".into(),
                ("nam", true) => "5".into(),
                ("sau", true) => "6".into(),
                ("bay", true) => "7".into(),
                ("tam", true) => "8".into(),
                ("chin", true) => "9".into(),
                ("muoi", true) => "10".into(),
                _ => (*w).to_owned(),
            }
        })
        .collect();
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
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
    use crate::nl::plan::Base;

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
        assert!(on_cases("ds các tỉnh").is_empty());
        assert_eq!(on_cases("việc HS"), ["v.loai_an = 'hs'"]);
        assert!(on_cases("Thi hành án dân sự").is_empty());
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
        assert_eq!(
            on_cases("so viec KDTM tren 1 ty chua xong o HN"),
            ["v.loai_an = 'kdtm'", "v.so_tien_phai_thi_hanh > 1000000000"]
        );
        assert_eq!(
            on_cases("từ 2,5 tỷ đồng"),
            ["v.so_tien_phai_thi_hanh >= 2500000000"]
        );
        let x = l("đơn khiếu nại gửi qua VNeID");
        assert_eq!(x.values_of("don_thu", "kenh"), 1);
        assert_eq!(x.values_of("don_thu", "loai"), 1);
        assert_eq!(l("5 tỉnh có nhiều việc nhất").top_n, Some(5));
        assert_eq!(l("top 10 chấp hành viên").top_n, Some(10));
        assert_eq!(l("rà soát 50 việc tồn đọng lâu nhất").top_n, Some(50));
        assert_eq!(l("6 tháng đầu năm").top_n, None);
        assert_eq!(
            on_cases("việc tín dụng ngân hàng"),
            ["v.id IN (SELECT x.viec_id FROM duong_su x WHERE x.vai_tro = 'duoc_thi_hanh' AND x.loai = 'to_chuc_tin_dung')"]
        );
        assert_eq!(
            on_cases("kê biên tài sản"),
            ["v.id IN (SELECT x.viec_id FROM bien_phap_cuong_che x WHERE x.loai = 'ke_bien_tai_san')"]
        );
    }

    #[test]
    fn conditions_from_the_catalog_and_thresholds() {
        // The role named before the kind.
        assert_eq!(
            on_cases("việc có người phải thi hành án là doanh nghiệp"),
            ["v.id IN (SELECT x.viec_id FROM duong_su x WHERE x.vai_tro = 'phai_thi_hanh' AND x.loai = 'doanh_nghiep')"]
        );
        assert_eq!(
            on_cases("bên được thi hành là doanh nghiệp"),
            ["v.id IN (SELECT x.viec_id FROM duong_su x WHERE x.vai_tro = 'duoc_thi_hanh' AND x.loai = 'doanh_nghiep')"]
        );
        // Money bound to the attribute named before it.
        assert_eq!(
            on_cases("việc còn phải thi hành trên 500 triệu"),
            ["(v.so_tien_phai_thi_hanh - v.so_tien_da_thi_hanh) > 500000000"]
        );
        // A receipt's own amount and status.
        let x = l("biên lai bị hủy có số tiền dưới 10 triệu đồng");
        let on_receipts: Vec<String> = x
            .conditions
            .iter()
            .filter_map(|c| c.render(Base::BienLai))
            .collect();
        assert_eq!(
            on_receipts,
            ["b.trang_thai = 'da_huy'", "b.so_tien < 10000000"]
        );
        // Progress of tasks.
        let x = l("nhiệm vụ có tiến độ dưới 30%");
        assert_eq!(
            x.conditions[0].render(Base::NhiemVu).unwrap(),
            "n.tien_do < 30"
        );
        // Times and counts.
        let x = l("việc đã kê biên quá 30 ngày mà chưa bán đấu giá");
        assert_eq!(
            x.durations,
            [Duration {
                op: ">",
                n: 30,
                unit: DurationUnit::Days,
                at: 5,
                step: None
            }]
        );
        assert_eq!(
            l("tỉnh có trên 1.000 việc tồn").value_threshold,
            Some((">", 1000.0))
        );
        assert_eq!(l("tỷ lệ dưới 50%").value_threshold, Some(("<", 50.0)));
        assert_eq!(l("từ 2026 chuyển sang 2027").value_threshold, None);
        // A range closes with "đến": both bounds, the unit said once at the end.
        assert_eq!(
            on_cases("việc còn phải thi hành từ 200 đến 500 triệu"),
            [
                "(v.so_tien_phai_thi_hanh - v.so_tien_da_thi_hanh) >= 200000000",
                "(v.so_tien_phai_thi_hanh - v.so_tien_da_thi_hanh) <= 500000000"
            ]
        );
        // Zero needs no unit; "chưa thu được đồng nào" is a zero collected.
        assert_eq!(
            on_cases("việc có số tiền phải thi hành bằng 0"),
            ["v.so_tien_phai_thi_hanh = 0"]
        );
        assert_eq!(
            on_cases("việc dân sự mà chưa thu được đồng nào"),
            ["v.loai_an = 'ds'", "v.so_tien_da_thi_hanh = 0"]
        );
    }

    fn on_cases(q: &str) -> Vec<String> {
        l(q).conditions
            .iter()
            .filter_map(|c| c.render(Base::Viec))
            .collect()
    }
}
