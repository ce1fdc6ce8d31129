//! Cue words: which metrics, case sets and dimensions a question can mean, from the words it
//! uses. They narrow what the model may choose (the grammar offers only the candidates, best
//! first), so a small model picks among a few plausible names instead of all of them.

use super::link::Linked;
use super::normalize::{find_words, parse_number, Text};

/// Cue phrases (folded) of each metric; a phrase with `+` needs all its parts.
const METRIC_CUES: &[(&str, &[&str])] = &[
    (
        "so_viec",
        &[
            "viec",
            "so viec",
            "bao nhieu viec",
            "thu ly",
            "vu viec",
            "nhieu viec",
            "it viec",
            "viec ton",
        ],
    ),
    (
        "tien_phai_thi_hanh",
        &[
            "tien phai thi hanh",
            "so tien phai",
            "gia tri phai thi hanh",
            "tong tien phai thi hanh",
            "tong so tien phai thi hanh",
        ],
    ),
    (
        "tien_da_thi_hanh",
        &["tien da thi hanh", "da thu duoc+viec", "so tien da thu"],
    ),
    (
        "tien_con_phai_thu",
        &[
            "con phai thu",
            "tien con phai thi hanh",
            "tien con phai",
            "con phai thi hanh",
            "con phai tha",
            "tien con lai",
            "con lai phai",
            "chua thu duoc",
            "con phai",
        ],
    ),
    (
        "ty_le_xong_viec",
        &[
            "ty le+ve viec",
            "thi hanh xong ve viec",
            "xong ve viec",
            "ty le thi hanh xong",
            "ty le xong",
            "ty le hoan thanh",
            "ty le+xog",
            "ty le giai quyet xong",
        ],
    ),
    (
        "ty_le_xong_tien",
        &[
            "thi hanh xong ve tien",
            "thi hanh xog ve tien",
            "xong ve tien",
            "xog ve tien",
            "ty le+ve tien",
            "ty le+xong+tien",
            "ty le thu hoi",
        ],
    ),
    (
        "thoi_gian_tb",
        &[
            "thoi gian trung binh",
            "thoi gian giai quyet",
            "so ngay trung binh",
            "bao nhieu ngay",
            "mat bao lau",
            "thoi gian+den khi",
        ],
    ),
    (
        "so_ngay_tb_don",
        &[
            "thoi gian giai quyet don",
            "giai quyet don+trung binh",
            "don+bao nhieu ngay",
            "don+trung binh+ngay",
        ],
    ),
    (
        "tien_do_tb",
        &[
            "tien do trung binh",
            "tien do binh quan",
            "trung binh+tien do",
        ],
    ),
    (
        "so_tien_tb",
        &[
            "so tien trung binh",
            "so tien binh quan",
            "binh quan moi viec+tien",
            "trung binh moi viec+tien",
        ],
    ),
    (
        "binh_quan_chv",
        &[
            "binh quan+chap hanh vien",
            "moi chap hanh vien+xong",
            "binh quan+chv",
            "nang suat",
        ],
    ),
    (
        "chuyen_ky_sau",
        &["chuyen sang", "chuyen ky", "chuyen sang nam"],
    ),
    (
        "chua_dat_chi_tieu",
        &[
            "chua dat chi tieu",
            "khong dat chi tieu",
            "chua dat+chi tieu",
            "khong dat+chi tieu",
        ],
    ),
    (
        "dat_chi_tieu",
        &[
            "dat chi tieu",
            "da dat chi tieu",
            "vuot chi tieu",
            "hoan thanh chi tieu",
        ],
    ),
    ("so_bien_lai", &["bien lai", "bl"]),
    (
        "tien_bien_lai",
        &[
            "so tien+bien lai",
            "tong tien+bien lai",
            "bao nhieu tien+bien lai",
            "ty dong+bien lai",
            "trieu dong+bien lai",
            "bao nhieu trieu+bien lai",
            "so tien thu",
            "thu duoc+tien",
            "tien thu",
        ],
    ),
    (
        "ty_le_bien_lai_dien_tu",
        &["ty le+bien lai+dien tu", "phan tram+bien lai+dien tu"],
    ),
    (
        "ty_le_bien_lai_ky_so",
        &["ty le+bien lai+ky so", "phan tram+bien lai+ky so"],
    ),
    (
        "so_don",
        &[
            "don",
            "don thu",
            "khieu nai",
            "to cao",
            "kien nghi",
            "phan anh",
        ],
    ),
    (
        "ty_le_don_dung_han",
        &[
            "dung han+ty le",
            "dung han+phan tram",
            "ty le+giai quyet don",
        ],
    ),
    ("so_quyet_dinh", &["quyet dinh"]),
    (
        "ty_le_ky_so",
        &["ky so+ty le", "ky so+phan tram", "ty le+quyet dinh+ky"],
    ),
    (
        "so_bien_phap",
        &[
            "ke bien",
            "phong toa",
            "khau tru",
            "tam giu",
            "tham dinh gia",
            "dau gia",
            "bien phap",
            "tru thu nhap",
            "so lan",
        ],
    ),
    ("so_chv", &["chap hanh vien", "chv"]),
    ("so_can_bo", &["can bo", "nhan su", "cong chuc"]),
    (
        "so_phong_kv",
        &[
            "phong khu vuc",
            "phong kv",
            "phong thads",
            "bao nhieu phong",
            "phong thi hanh an",
        ],
    ),
    (
        "tinh_cu",
        &[
            "tinh cu",
            "hop nhat",
            "sap nhap",
            "sat nhap",
            "gom nhung tinh",
        ],
    ),
    ("dan_so", &["dan so"]),
    ("chi_tieu", &["chi tieu"]),
    ("so_nhiem_vu", &["nhiem vu+bao nhieu", "so nhiem vu"]),
    ("ds_nhiem_vu", &["nhiem vu"]),
];

const SET_CUES: &[(&str, &[&str])] = &[
    (
        "chua_co_dieu_kien",
        &[
            "chua co dieu kien",
            "chua co dk",
            "an treo",
            "chua thi hanh duoc",
            "chua du dieu kien",
            "khong co dieu kien",
        ],
    ),
    (
        "co_dk_chua_xong",
        &[
            "co dieu kien chua",
            "co dieu kien con",
            "co dieu kien ton",
            "co dieu kien dang",
            "ton co dieu kien",
        ],
    ),
    (
        "chua_ket_thuc",
        &[
            "chua ket thuc",
            "chua xong",
            "ton dong",
            "ton",
            "dang giai quyet",
            "chua thi hanh xong",
            "con bao nhieu viec",
            "chua xog",
        ],
    ),
    ("dang_thi_hanh", &["dang thi hanh"]),
    ("cho_ra_quyet_dinh", &["cho ra quyet dinh"]),
    ("hoan", &["hoan"]),
    ("tam_dinh_chi", &["tam dinh chi"]),
    (
        "xong",
        &["thi hanh xong", "da xong", "hoan thanh", "xong", "ket thuc"],
    ),
    (
        "xong_khong_dinh_chi",
        &[
            "khong tinh dinh chi",
            "khong ke dinh chi",
            "tru dinh chi",
            "khong bao gom dinh chi",
        ],
    ),
    ("dinh_chi", &["dinh chi"]),
    ("uy_thac", &["uy thac"]),
    (
        "qh01",
        &[
            "ra quyet dinh+cham",
            "cham ra quyet dinh",
            "ra quyet dinh+qua+ngay lam viec",
        ],
    ),
    (
        "qh02",
        &[
            "chua ra quyet dinh",
            "chua ra quyet dinh+ngay lam viec",
            "cho ra quyet dinh+ngay lam viec",
            "chua ra quyet dinh+qua han",
            "cho ra quyet dinh+qua han",
        ],
    ),
    (
        "qh03",
        &["chua xac minh+qua han", "chua xac minh dieu kien"],
    ),
    ("qh04", &["xac minh lai", "chua co dieu kien+6 thang"]),
    ("qh05", &["hoan+keo dai", "hoan+90 ngay", "hoan+qua"]),
    ("qh06", &["tam dinh chi+keo dai", "tam dinh chi+180"]),
    ("qh07", &["thu du tien", "da thu du", "thu du"]),
    ("qh08", &["chua tac dong"]),
    ("qh09", &["chua tham dinh gia", "ke bien+chua+tham dinh"]),
    (
        "qh10",
        &[
            "chua dau gia",
            "chua ban dau gia",
            "tham dinh gia+chua+dau gia",
        ],
    ),
    (
        "qh11",
        &[
            "qua 12 thang",
            "tren 12 thang",
            "qua 1 nam",
            "tren 1 nam",
            "ton+12 thang",
        ],
    ),
    (
        "chua_giai_quyet",
        &[
            "chua giai quyet",
            "dang giai quyet",
            "chua duoc giai quyet",
            "chua duoc xu ly",
            "chua xu ly",
        ],
    ),
    ("da_giai_quyet", &["da giai quyet", "duoc giai quyet"]),
    (
        "qh12",
        &[
            "qua han",
            "dang qua han",
            "qua han giai quyet",
            "qua han chua giai quyet",
            "qua han ma chua",
        ],
    ),
    (
        "qh13",
        &[
            "tre han",
            "giai quyet tre",
            "giai quyet cham",
            "da giai quyet+qua han",
            "giai quyet+sau han",
        ],
    ),
    ("qh14", &["chua thu ly"]),
    ("qh16", &["chua ky so", "chua duoc ky so", "khong ky so"]),
    ("qh15", &["qua han"]),
    ("dang_thuc_hien", &["dang thuc hien", "chua hoan thanh"]),
    ("hoan_thanh", &["da hoan thanh"]),
];

const DIM_CUES: &[(&str, &[&str])] = &[
    (
        "tinh",
        &[
            "tinh nao",
            "theo tinh",
            "tung tinh",
            "cac tinh",
            "moi tinh",
            "tinh thanh nao",
            "dia phuong nao",
            "xep hang",
            "tung dia phuong",
            "tung noi",
            "tinh co",
            "thanh pho nao",
        ],
    ),
    (
        "mien",
        &[
            "theo mien",
            "moi mien",
            "tung mien",
            "mien nao",
            "giua mien",
            "ba mien",
            "3 mien",
            "cac mien",
        ],
    ),
    (
        "vung",
        &["theo vung", "moi vung", "tung vung", "vung nao", "cac vung"],
    ),
    (
        "phong_kv",
        &[
            "phong khu vuc nao",
            "theo phong",
            "phong nao",
            "cac phong",
            "tung phong",
            "moi phong",
            "phong kv nao",
            "khu vuc nao",
            "phong khu vuc co",
        ],
    ),
    (
        "chv",
        &[
            "chap hanh vien nao",
            "tung chap hanh vien",
            "moi chap hanh vien",
            "cac chap hanh vien",
            "chv nao",
            "top+chap hanh vien",
            "chap hanh vien co nhieu",
            "chap hanh vien co it",
        ],
    ),
    (
        "loai_an",
        &["loai an", "tung loai", "theo loai", "moi loai", "cac loai"],
    ),
    ("trang_thai", &["theo trang thai", "tung trang thai"]),
    (
        "co_dieu_kien",
        &[
            "co dieu kien va chua co dieu kien",
            "co va chua co dieu kien",
            "theo co dieu kien",
            "theo dieu kien",
        ],
    ),
    (
        "thang",
        &[
            "theo thang",
            "tung thang",
            "moi thang",
            "hang thang",
            "cac thang",
        ],
    ),
    ("quy", &["theo quy", "tung quy", "moi quy", "cac quy"]),
    (
        "loai_don",
        &["loai don", "tung loai", "theo loai", "moi loai", "cac loai"],
    ),
    (
        "kenh",
        &["kenh nao", "theo kenh", "tung kenh", "moi kenh", "qua kenh"],
    ),
    (
        "kenh_gui",
        &["kenh nao", "theo kenh", "tung kenh", "kenh gui"],
    ),
    (
        "loai_bien_phap",
        &[
            "loai bien phap",
            "tung bien phap",
            "theo loai",
            "tung loai",
            "moi loai",
            "cac loai",
        ],
    ),
    (
        "loai_quyet_dinh",
        &[
            "loai quyet dinh",
            "theo loai",
            "tung loai",
            "moi loai",
            "cac loai",
        ],
    ),
    (
        "chuc_vu",
        &[
            "theo chuc vu",
            "tung chuc vu",
            "moi chuc vu",
            "chuc vu nao",
            "cac chuc vu",
        ],
    ),
    (
        "hinh_thuc",
        &[
            "hinh thuc",
            "chu dong va theo yeu cau",
            "chu dong hay theo yeu cau",
        ],
    ),
    (
        "ngay",
        &[
            "moi ngay",
            "tung ngay",
            "theo ngay",
            "hang ngay",
            "cac ngay",
        ],
    ),
    (
        "nhom_bien_phap",
        &["theo nhom", "tung nhom", "moi nhom", "nhom bien phap"],
    ),
    (
        "loai_hanh_dong",
        &["loai cong viec", "loai nhiem vu", "theo loai", "tung loai"],
    ),
];

/// Markers of what a figure includes ("tính cả đình chỉ", "kể cả các phòng khu vực"): their
/// words say what is counted in, not what is counted.
const INCLUSIONS: &[&str] = &["tinh ca", "ke ca", "bao gom ca", "gom ca", "tinh luon"];

/// `text` without its inclusion clauses (the marker and the five words after it).
pub fn without_inclusions(text: &Text) -> Text {
    let w = text.words();
    let mut keep = vec![true; w.len()];
    for m in INCLUSIONS {
        let p: Vec<&str> = m.split(' ').collect();
        for i in 0..w.len() {
            if w.get(i..i + p.len()) == Some(&p[..]) {
                let end = (i + p.len() + 5).min(w.len());
                keep[i..end].iter_mut().for_each(|k| *k = false);
            }
        }
    }
    kept_words(text, &w, &keep)
}

/// `text` with only the words `keep` marks (itself when all are kept).
fn kept_words(text: &Text, words: &[&str], keep: &[bool]) -> Text {
    if keep.iter().all(|k| *k) {
        return text.clone();
    }
    let kept: Vec<&str> = words
        .iter()
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|(x, _)| *x)
        .collect();
    Text::new(&kept.join(" "))
}

/// Compounds whose first word is also a cue: "đơn vị" is no petition, "đôn đốc" neither.
const COMPOUNDS: &[&str] = &["don vi", "don doc", "don gian", "viec lam", "cong viec"];

/// `text` with [`COMPOUNDS`] written as one word, so their parts match no cue.
fn without_compounds(text: &Text) -> Text {
    let mut plain = text.folded.clone();
    for c in COMPOUNDS {
        if text.has(c) {
            plain = plain.replace(c, &c.replace(' ', ""));
        }
    }
    Text::new(&plain)
}

/// How strongly `text` matches one cue: the length of the matched phrase (0 when absent).
fn strength(text: &Text, cue: &str) -> usize {
    if cue.contains('+') {
        let parts: Vec<&str> = cue.split('+').collect();
        if parts.iter().all(|p| text.has(p)) {
            parts.iter().map(|p| p.len()).sum::<usize>() + 2
        } else {
            0
        }
    } else if text.has(cue) {
        cue.len()
    } else {
        0
    }
}

fn score(text: &Text, cues: &[&str]) -> usize {
    cues.iter().map(|c| strength(text, c)).max().unwrap_or(0)
}

/// Keys of `table` ranked by cue strength (those with none left out), best first; compounds
/// ([`COMPOUNDS`]) match no cue.
fn ranked(text: &Text, table: &[(&'static str, &[&str])]) -> Vec<(&'static str, usize)> {
    let text = &without_compounds(text);
    let mut out: Vec<(&'static str, usize)> = table
        .iter()
        .map(|(k, cues)| (*k, score(text, cues)))
        .filter(|(_, s)| *s > 0)
        .collect();
    out.sort_by_key(|x| std::cmp::Reverse(x.1));
    out
}

/// Words that ask for records rather than a figure.
const LIST_WORDS: &[&str] = &[
    "danh sach",
    "liet ke",
    "ke ra",
    "chi tiet",
    "cu the",
    "nhung",
    "cac",
    "cho toi",
    "cho xem",
    "xem",
];

/// The record nouns a list can be of, with their list metric (longest first).
const RECORD_NOUNS: &[(&str, &str)] = &[
    ("ho so", "ds_viec"),
    ("viec", "ds_viec"),
    ("bien lai", "ds_bien_lai"),
    ("quyet dinh", "ds_quyet_dinh"),
    ("khieu nai", "ds_don"),
    ("to cao", "ds_don"),
    ("don", "ds_don"),
    ("bien phap", "ds_bien_phap"),
    ("lan ke bien", "ds_bien_phap"),
];

/// The list metric when the question asks for records: a list word ("danh sách", "liệt kê",
/// "những … nào", "cho tôi 10 việc") right before a record noun, and no word asking for a
/// figure ("bao nhiêu", "tổng", "tỷ lệ").
pub fn list_metric(text: &Text) -> Option<&'static str> {
    if text.has_any(&[
        "bao nhieu",
        "tong",
        "ty le",
        "phan tram",
        "trung binh",
        "binh quan",
        "so luong",
        "dem",
    ]) {
        return None;
    }
    let w = text.words();
    let asks_which = text.has("nao") || text.has_any(&["danh sach", "liet ke", "ke ra"]);
    for i in 0..w.len() {
        for (noun, key) in RECORD_NOUNS {
            let n: Vec<&str> = noun.split(' ').collect();
            if w.get(i..i + n.len()) != Some(&n[..]) {
                continue;
            }
            // The list word within the three words before the noun ("danh sách 10 việc").
            let from = i.saturating_sub(4);
            let before = w[from..i].join(" ");
            let listed = LIST_WORDS
                .iter()
                .any(|l| super::normalize::find_words(&before, l).is_some());
            let counted = i > 0 && w[i - 1].parse::<u32>().is_ok();
            if (listed && (asks_which || counted)) || (counted && asks_which) {
                return Some(key);
            }
        }
    }
    None
}

/// Metrics the question can mean, best first (at most `n`; empty when nothing matches). A
/// metric whose cue is much weaker than the best one's (under three quarters of its length) is
/// left out: "bao nhiêu việc … ra quyết định …" counts cases, the model need not weigh
/// "quyết định" against it.
pub fn metrics(text: &Text, n: usize) -> Vec<&'static str> {
    within_reach(ranked(text, METRIC_CUES), n)
}

/// Metrics the question can mean given the dimension it groups by: a metric that counts the
/// grouped things themselves ("Top 10 chấp hành viên có nhiều việc…" groups by officer and
/// counts cases, not officers) is dropped when another candidate remains.
/// Likewise a named office ("Phòng THADS khu vực 1 của Cần Thơ đang giải quyết bao nhiêu
/// việc?") is where to count, not what.
pub fn metrics_for_dims(
    text: &Text,
    linked: &Linked,
    n: usize,
    dims: &[&str],
) -> Vec<&'static str> {
    let mut out: Vec<(&'static str, usize)> = ranked(
        &without_money_conditions(&without_inclusions(text)),
        METRIC_CUES,
    );
    // A duration between two named steps is the reading ("mất bao nhiêu ngày từ thụ lý đến
    // khi ra quyết định").
    if let Some(span) = linked.span {
        return vec![if span.base == super::plan::Base::DonThu {
            "so_ngay_tb_don"
        } else {
            "thoi_gian_tb"
        }];
    }
    // A list asked ("danh sách", "cho tôi 10 việc …") is the only reading offered.
    if let Some(list) = list_metric(text) {
        return vec![list];
    }
    // A rule of another table decides what is counted: "đơn … quá 10 ngày chưa thụ lý" counts
    // petitions (QH14), though "thụ lý" is also a word about cases.
    if let Some(base) = sets(text)
        .iter()
        .find(|s| s.starts_with("qh"))
        .and_then(|s| super::plan::SETS.iter().find(|x| x.key == *s))
        .map(|x| x.base)
    {
        let of_base = |m: &str| super::plan::metric(m).is_some_and(|x| x.base == base);
        if out.iter().any(|(m, _)| of_base(m)) {
            out.retain(|(m, _)| of_base(m));
        }
    }
    // Two figures asked: the one named first is the main one ("chuyển sang năm 2027 bao nhiêu
    // việc, với tổng số tiền …").
    if asks_two(text) {
        let plain = without_compounds(text);
        let first_at = |m: &str| {
            METRIC_CUES
                .iter()
                .find(|(k, _)| *k == m)
                .into_iter()
                .flat_map(|(_, cues)| cues.iter())
                .filter_map(|c| find_words(&plain.folded, c.split('+').next().unwrap_or(c)))
                .min()
                .unwrap_or(usize::MAX)
        };
        out.sort_by_key(|(m, _)| first_at(m));
    }
    // "trung bình", "bình quân": an average before a count.
    if text.has_any(&["trung binh", "binh quan"]) {
        let average = |m: &str| {
            super::plan::metric(m)
                .is_some_and(|x| x.label.contains("trung bình") || x.label.contains("bình quân"))
        };
        if out.iter().any(|(m, _)| average(m)) {
            out.retain(|(m, _)| average(m));
        }
    }
    // "bao nhiêu tỷ", "tổng tiền": a money metric before a count.
    if asks_money(text) {
        let money = |m: &str| super::plan::metric(m).is_some_and(|x| x.unit == "tỷ đồng");
        if out.iter().any(|(m, _)| money(m)) && !asks_two(text) {
            out.retain(|(m, _)| money(m));
        }
    }
    let counted = match dims.first() {
        Some(&"chv") => &["so_chv", "so_can_bo"][..],
        Some(&"phong_kv") => &["so_phong_kv"][..],
        _ if linked.office.is_some() => &["so_phong_kv"][..],
        _ => &[][..],
    };
    if out.iter().any(|(m, _)| !counted.contains(m)) {
        out.retain(|(m, _)| !counted.contains(m));
    }
    within_reach(out, n)
}

/// The best `n` candidates whose cue is at least three quarters as strong as the best one's.
fn within_reach(all: Vec<(&'static str, usize)>, n: usize) -> Vec<&'static str> {
    let best = all.first().map_or(0, |(_, s)| *s);
    all.into_iter()
        .filter(|(_, s)| s * 4 >= best * 3)
        .take(n)
        .map(|(k, _)| k)
        .collect()
}

/// Case sets the question names, best first. An overdue rule (QH01–QH16) combines several
/// conditions, so when its words are there it outranks a plain status it also mentions
/// ("đã thu đủ tiền nhưng … chưa kết thúc" is QH07, not merely "chưa kết thúc").
pub fn sets(text: &Text) -> Vec<&'static str> {
    let mut out = ranked(&without_inclusions(text), SET_CUES);
    if !postponed(text) {
        out.retain(|(k, _)| !matches!(*k, "hoan" | "qh05"));
    }
    out.sort_by_key(|(k, s)| {
        (
            std::cmp::Reverse(k.starts_with("qh")),
            std::cmp::Reverse(*s),
        )
    });
    out.into_iter().map(|(k, _)| k).collect()
}

/// Whether the text is about postponed cases ("việc hoãn", "hoan lau nhat"), not about
/// finishing ("hoàn thành" folds to the same "hoan").
pub fn postponed(text: &Text) -> bool {
    let w = text.words();
    w.iter().enumerate().any(|(i, x)| {
        *x == "hoan"
            && !matches!(
                w.get(i + 1).copied(),
                Some("thanh" | "tat" | "chinh" | "tra")
            )
    })
}

/// Where each case set's cue phrases occur: `(set, first word, word count)`. A value named
/// inside the words of the chosen set ("chờ ra quyết định thi hành án") is the set's, not a
/// condition of its own.
pub fn set_spans(text: &Text) -> Vec<(&'static str, usize, usize)> {
    let w = text.words();
    let mut out = Vec::new();
    for (set, cues) in SET_CUES {
        for cue in cues.iter().flat_map(|c| c.split('+')) {
            let p: Vec<&str> = cue.split(' ').collect();
            for i in 0..w.len() {
                if w.get(i..i + p.len()) == Some(&p[..]) {
                    out.push((*set, i, p.len()));
                }
            }
        }
    }
    out
}

/// The dimension named by the counted noun of a ranking: "5 tỉnh", "top 10 chấp hành viên",
/// "10 phòng khu vực".
fn ranked_noun(text: &Text, linked: &Linked) -> Option<&'static str> {
    let n = linked.top_n?;
    let w = text.words();
    for (i, word) in w.iter().enumerate() {
        if word.parse::<u32>() != Ok(n) {
            continue;
        }
        let rest = w[i + 1..].join(" ");
        for (noun, dim) in [
            ("tinh", "tinh"),
            ("thanh pho", "tinh"),
            ("dia phuong", "tinh"),
            ("phong", "phong_kv"),
            ("don vi", "phong_kv"),
            ("chap hanh vien", "chv"),
            ("can bo", "chv"),
        ] {
            if rest == noun || rest.starts_with(&format!("{noun} ")) {
                return Some(dim);
            }
        }
    }
    None
}

/// Dimensions the question asks to group by, best first (several regions named count as `mien`/`vung`).
pub fn dims(text: &Text, linked: &Linked) -> Vec<&'static str> {
    // "tính gộp", "gộp chung": one figure for all the places named.
    if text.has_any(&["tinh gop", "gop chung", "gop lai", "tong gop"]) {
        return Vec::new();
    }
    // "tính cả các phòng khu vực", "kể cả …": what follows is included, not a breakdown.
    let head = ["tinh ca", "ke ca", "bao gom ca", "gom ca", "tinh luon"]
        .iter()
        .filter_map(|p| find_words(&text.folded, p))
        .min()
        .map_or_else(|| text.clone(), |at| Text::new(&text.folded[..at]));
    // "các tỉnh miền Trung", "các tỉnh Tây Nguyên": the region's provinces together, not one
    // figure each ("từng tỉnh miền Trung", "tỉnh nào ở miền Trung" still break down).
    // A ranking ("xếp từ cao xuống thấp") needs the rows.
    let head = if (linked.mien.is_empty() && linked.vung.is_empty()) || order(text) != "khong" {
        head
    } else {
        let mut folded = format!(" {} ", head.folded);
        for p in ["cac tinh thanh pho", "cac tinh thanh", "cac tinh"] {
            folded = folded.replace(&format!(" {p} "), " ");
        }
        Text::new(folded.trim())
    };
    let mut out: Vec<&'static str> = ranked(&head, DIM_CUES)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    // Several values of one attribute named together ("qua mã QR và qua VNeID", "miền Bắc,
    // Trung và Nam") ask for one figure per value.
    for dim in [
        "mien",
        "vung",
        "kenh",
        "kenh_gui",
        "loai_don",
        "loai_an",
        "loai_bien_phap",
        "loai_quyet_dinh",
        "hinh_thuc",
        "loai_hanh_dong",
        "nhom_bien_phap",
        "tinh",
    ] {
        if several_values(dim, linked) {
            out.retain(|d| *d != dim);
            out.insert(0, dim);
        }
    }
    if let Some(dim) = ranked_noun(text, linked) {
        out.retain(|d| *d != dim);
        out.insert(0, dim);
    }
    if linked.top_n.is_some() && out.is_empty() {
        // "5 tỉnh …", "10 phòng …": the counted noun is the dimension.
        for (word, dim) in [
            ("tinh", "tinh"),
            ("phong", "phong_kv"),
            ("chap hanh vien", "chv"),
            ("chv", "chv"),
        ] {
            if text.has(word) {
                out.push(dim);
                break;
            }
        }
    }
    out
}

/// The dimensions the question names with a grouping word ("theo loại án", "từng tháng",
/// "chia theo kênh", "mỗi tỉnh") or by naming several of their values, in the order of
/// [`dims`]: the candidates for a second grouping dimension.
pub fn explicit_dims(text: &Text, linked: &Linked) -> Vec<&'static str> {
    let grouping = |cue: &str| {
        cue.starts_with("theo ")
            || cue.starts_with("tung ")
            || cue.starts_with("moi ")
            || cue.starts_with("cac ")
            || cue.starts_with("hang ")
            || cue.starts_with("chia ")
    };
    dims(text, linked)
        .into_iter()
        .filter(|d| {
            // Several values name a second dimension only for these attributes (a measure or
            // decision type named twice is usually a filter of alternatives).
            let several = matches!(
                *d,
                "mien" | "vung" | "tinh" | "kenh" | "kenh_gui" | "hinh_thuc" | "loai_an"
            ) && several_values(d, linked);
            several
                || DIM_CUES
                    .iter()
                    .any(|(k, cues)| k == d && cues.iter().any(|c| grouping(c) && text.has(c)))
        })
        .collect()
}

/// Whether the question names several values of dimension `dim` ("miền Bắc và miền Nam", "phong
/// tỏa tài khoản và khấu trừ tiền"): one figure per value is asked.
pub fn several_values(dim: &str, linked: &Linked) -> bool {
    let values = match dim {
        "mien" => linked.mien.len(),
        "vung" => linked.vung.len(),
        "tinh" => linked.provinces.len(),
        "kenh" => linked.values_of("don_thu", "kenh"),
        "kenh_gui" => linked.values_of("bien_lai", "kenh_gui"),
        "hinh_thuc" => linked.values_of("viec_thi_hanh", "hinh_thuc"),
        "loai_an" => linked.values_of("viec_thi_hanh", "loai_an"),
        "loai_don" => linked.values_of("don_thu", "loai"),
        "loai_bien_phap" => linked.values_of("bien_phap_cuong_che", "loai"),
        "nhom_bien_phap" => linked.values_of("bien_phap_cuong_che", "nhom"),
        "loai_quyet_dinh" => linked.values_of("quyet_dinh", "loai"),
        "loai_hanh_dong" => linked.values_of("nhiem_vu", "loai_hanh_dong"),
        _ => 0,
    };
    values > 1
}

/// Whether the question asks for money ("bao nhiêu tỷ", "bao nhiêu tiền", "(tỷ đồng)",
/// "tổng tiền"). Money said as a condition asks nothing ([`without_money_conditions`]).
pub fn asks_money(text: &Text) -> bool {
    without_money_conditions(text).has_any(&[
        "bao nhieu ty",
        "bao nhieu trieu",
        "bao nhieu tien",
        "bao nhieu dong",
        "tong tien",
        "tien thu",
        "ty dong",
        "trieu dong",
        "so tien",
    ])
}

/// `text` without the money it says as a condition: a value ("trên 1 tỷ đồng": the number and
/// its unit) or an amount compared right after it, within its noun phrase ("số tiền phải thi
/// hành bằng 0", "số tiền từ 200 triệu"). What is left names the figures asked.
pub fn without_money_conditions(text: &Text) -> Text {
    let w = text.words();
    let number = |k: usize| w.get(k).is_some_and(|x| parse_number(x).is_some());
    let compared = |k: usize| {
        matches!(
            w.get(k),
            Some(&("tren" | "duoi" | "tu" | "hon" | "qua" | "bang" | "vuot" | "den" | "toi"))
        ) && number(k + 1)
    };
    let mut keep = vec![true; w.len()];
    for p in 0..w.len() {
        // "1 tỷ đồng", "200 triệu".
        if number(p) && matches!(w.get(p + 1), Some(&("ty" | "trieu" | "dong" | "nghin"))) {
            let unit_end = if w.get(p + 2) == Some(&"dong") {
                p + 3
            } else {
                p + 2
            };
            keep[p..unit_end.min(w.len())]
                .iter_mut()
                .for_each(|k| *k = false);
        }
        // "số tiền (phải thi hành)? <so sánh> <số>", unless it is a total ("tổng số tiền").
        if w.get(p..p + 2) == Some(&["so", "tien"][..]) && (p == 0 || w[p - 1] != "tong") {
            let stop = |k: &usize| !matches!(w.get(*k), Some(&("cua" | "cac" | "nhung" | "va")));
            if let Some(k) = (p + 2..p + 6).take_while(stop).find(|&k| compared(k)) {
                keep[p..(k + 2).min(w.len())]
                    .iter_mut()
                    .for_each(|x| *x = false);
            }
        }
    }
    kept_words(text, &w, &keep)
}

/// Whether the question asks for two figures at once: two "bao nhiêu", or a second figure
/// joined to the first by a connective ("và", "kèm", "cùng", "với", "cho cả", "kèm theo",
/// "và cả") right before a figure's head ("tổng tiền", "số tiền", "giá trị", "tổng số",
/// "số …"): "số việc và tổng số tiền", "… kèm tổng tiền phải thi hành", "cho cả số biên lai".
pub fn asks_two(text: &Text) -> bool {
    if text.folded.matches("bao nhieu").count() >= 2 {
        return true;
    }
    const CONNECTIVES: &[&[&str]] = &[
        &["va"],
        &["kem"],
        &["cung"],
        &["voi"],
        &["cho", "ca"],
        &["kem", "theo"],
        &["kem", "ca"],
        &["va", "ca"],
    ];
    const HEADS: &[&[&str]] = &[
        &["tong", "tien"],
        &["tong", "so"],
        &["tong"],
        &["so", "tien"],
        &["gia", "tri"],
        &["so"],
    ];
    let w = text.words();
    // "so sánh", "so với": a comparison, not "số".
    let not_a_figure = |k: usize| matches!(w.get(k), Some(&("sanh" | "voi")));
    (0..w.len()).any(|i| {
        CONNECTIVES.iter().any(|c| {
            let h0 = i + c.len();
            w.get(i..h0) == Some(c)
                && HEADS
                    .iter()
                    .any(|h| w.get(h0..h0 + h.len()) == Some(h) && !not_a_figure(h0 + h.len()))
        })
    })
}

/// "… nhất" as a superlative, not inside "hợp nhất", "cập nhật", "thống nhất", "duy nhất".
fn superlative(text: &Text) -> bool {
    let words = text.words();
    words.iter().enumerate().any(|(i, w)| {
        *w == "nhat"
            && !matches!(
                i.checked_sub(1).and_then(|k| words.get(k)),
                Some(&("hop" | "cap" | "thong" | "duy" | "sap"))
            )
    })
}

/// The sort the question asks for: `giam` (most first), `tang` (least first) or `khong`.
pub fn order(text: &Text) -> &'static str {
    let least = ["it", "thap", "nho", "kem", "cham", "yeu", "ngan"];
    let superlative = superlative(text);
    // "kèm số việc" (with) is not "kém" (weak): the typed diacritics decide when there are any.
    let light: Vec<&str> = text.light.split(' ').collect();
    let least_word = text.words().iter().enumerate().any(|(i, w)| {
        least.contains(w) && !(*w == "kem" && light.get(i).is_some_and(|l| *l == "kèm"))
    });
    // A sort asked in words: "từ cao xuống thấp", "tăng dần".
    let ascending = [
        "tu thap den cao",
        "thap len cao",
        "thap den cao",
        "tang dan",
        "it den nhieu",
    ];
    let descending = [
        "tu cao xuong thap",
        "cao xuong thap",
        "cao den thap",
        "giam dan",
        "nhieu den it",
    ];
    if text.has_any(&ascending) {
        "tang"
    } else if text.has_any(&descending) {
        "giam"
    } else if superlative && least_word && !text.has_any(&["cao nhat", "nhieu nhat", "lon nhat"]) {
        "tang"
    } else if superlative || text.has_any(&["top", "dan dau", "xep hang"]) {
        "giam"
    } else {
        "khong"
    }
}

/// The row limit: the count the question names, 1 for "… nào … nhất", else none.
pub fn limit(text: &Text, linked: &Linked) -> Option<u32> {
    if let Some(n) = linked.top_n {
        return Some(n);
    }
    let superlative = superlative(text);
    let which = text.has_any(&["nao", "dau", "ai"]);
    // "… nào … nhất? Liệt kê tất cả": every row, ranked.
    let all = text.has_any(&["tat ca", "liet ke", "toan bo", "day du"]);
    (superlative && which && !all).then_some(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nl::link::link;
    use crate::Scope;
    use chrono::NaiveDate;

    fn t(q: &str) -> (Text, Linked) {
        let text = Text::new(q);
        let l = link(
            &text,
            &Scope::National,
            NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        );
        (text, l)
    }

    #[test]
    fn the_provinces_of_a_region_are_one_figure_unless_ranked() {
        let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let dims_of = |q: &str| {
            let t = Text::new(q);
            dims(&t, &link(&t, &Scope::National, as_of))
        };
        assert!(dims_of("tỷ lệ thi hành xong về tiền năm nay của các tỉnh miền Trung").is_empty());
        assert_eq!(
            dims_of("ty le thi hanh xong ve tien nam nay cua cac tinh mien trung, xep tu cao xuong thap")[0],
            "tinh"
        );
        assert_eq!(dims_of("số việc của từng tỉnh miền Trung")[0], "tinh");
        // "năm" is a year, not the South.
        let t = Text::new("ty le thi hanh xong ve tien tu dau nam den nay cua mien trung");
        assert_eq!(link(&t, &Scope::National, as_of).mien, vec!["trung"]);
        let t = Text::new("so sanh mien bac, trung va nam");
        assert_eq!(link(&t, &Scope::National, as_of).mien.len(), 3);
        assert_eq!(order(&Text::new("xếp từ cao xuống thấp")), "giam");
        assert_eq!(order(&Text::new("xếp tăng dần")), "tang");
    }

    #[test]
    fn cues_rank_the_plausible_names() {
        let (x, _) = t("Tỷ lệ thi hành xong về tiền năm 2026 của Hà Nội");
        assert_eq!(metrics(&x, 3)[0], "ty_le_xong_tien");
        let (x, _) = t("ty le thi hanh xong ve viec nam 2026 cua tp hcm");
        assert_eq!(metrics(&x, 3)[0], "ty_le_xong_viec");
        let (x, _) =
            t("Có bao nhiêu việc chưa có điều kiện đã quá 6 tháng mà chưa được xác minh lại?");
        assert_eq!(sets(&x)[0], "qh04");
        let (x, l) = t("So sánh tỷ lệ giữa miền Bắc, miền Trung và miền Nam");
        assert_eq!(dims(&x, &l)[0], "mien");
        let (x, l) = t("5 tỉnh có nhiều việc chưa có điều kiện nhất");
        assert_eq!(dims(&x, &l), ["tinh"]);
        assert_eq!(order(&x), "giam");
        assert_eq!(limit(&x, &l), Some(5));
        let (x, l) = t("tinh nao co ty le giai quyet don dung han thap nhat nam 2026");
        assert_eq!(order(&x), "tang");
        assert_eq!(limit(&x, &l), Some(1));
        assert_eq!(metrics(&x, 3)[0], "ty_le_don_dung_han");
    }

    #[test]
    fn ranking_nouns_and_grouped_things() {
        // "Top 10 chấp hành viên … nhiều việc": grouped by officer, counting cases.
        let (x, l) = t("Top 10 chấp hành viên ở Đà Nẵng có nhiều việc tồn quá 12 tháng nhất");
        let d = dims(&x, &l);
        assert_eq!(d[0], "chv");
        assert_eq!(metrics_for_dims(&x, &l, 4, &d)[0], "so_viec");
        assert_eq!(sets(&x)[0], "qh11");
        // "Cho 5 tỉnh cao nhất" after another grouping word.
        let (x, l) = t("Bình quân mỗi chấp hành viên xong bao nhiêu việc? Cho 5 tỉnh cao nhất.");
        assert_eq!(dims(&x, &l)[0], "tinh");
        // "tính cả các phòng khu vực" includes, it does not group.
        let (x, l) = t("Nghệ An có bao nhiêu chấp hành viên, tính cả các phòng khu vực?");
        assert!(dims(&x, &l).is_empty());
        // A named office is where to count.
        let (x, l) = t("Phòng THADS khu vực 1 Cần Thơ đang giải quyết bao nhiêu việc?");
        assert_eq!(metrics_for_dims(&x, &l, 4, &dims(&x, &l))[0], "so_viec");
    }

    #[test]
    fn rules_values_and_second_figures() {
        let (x, _) = t("Có bao nhiêu việc đã thu đủ tiền nhưng quá 10 ngày vẫn chưa kết thúc?");
        assert_eq!(sets(&x)[0], "qh07");
        let (x, _) = t("Có bao nhiêu đơn kiến nghị chưa được giải quyết?");
        assert_eq!(sets(&x)[0], "chua_giai_quyet");
        let (x, l) = t("Đã nhận bao nhiêu đơn qua mã QR và qua VNeID?");
        assert_eq!(dims(&x, &l)[0], "kenh");
        let (x, _) = t("Có bao nhiêu việc chưa kết thúc, và còn phải thu bao nhiêu tỷ đồng?");
        assert!(asks_two(&x));
        let (x, _) = t("Có bao nhiêu việc chưa kết thúc?");
        assert!(!asks_two(&x));
        // A second figure joined by a connective, whatever the connective.
        let (x, _) = t("so viec tam dinh chi theo loai an kem tong tien phai thi hanh");
        assert!(asks_two(&x));
        // Money said as a condition asks no money.
        let (x, _) = t("bao nhiêu việc có số tiền phải thi hành bằng 0, chia theo loại án");
        assert!(!asks_money(&x));
        let (x, _) = t("bao nhiêu việc trên 1 tỷ đồng");
        assert!(!asks_money(&x));
        let (x, _) = t("tổng số tiền của các việc trên 1 tỷ đồng là bao nhiêu");
        assert!(asks_money(&x));
        let (x, _) = t("Số việc của Hà Nội và so sánh với cả nước");
        assert!(!asks_two(&x), "\"và so sánh\" is no figure");
        // "hợp nhất" is not a superlative.
        let (x, l) = t("Đồng Nai được hợp nhất từ những tỉnh cũ nào?");
        assert_eq!((order(&x), limit(&x, &l)), ("khong", None));
    }
}
