//! Vietnamese text normalisation (DOMAIN.md §7): NFC, a diacritics-free folded copy, and words.
//!
//! Matching happens on the *folded* form: NFD, combining marks removed, `đ/Đ → d/D` (NFD does
//! not decompose them), lower case, punctuation turned into spaces, runs of spaces collapsed.
//! So "Hà Nội", "Ha Noi", "HÀ NỘI", NFD input and old tone placement ("Hoá"/"Hóa") all fold to
//! `ha noi`. A case-preserving folded copy is kept for short uppercase abbreviations ("HN",
//! "CT") that must not match ordinary lowercase words.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Longest question accepted, in characters; longer input is refused before any work.
pub const MAX_QUESTION_CHARS: usize = 1000;

/// A question in the forms the linker needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// The question in NFC, trimmed.
    pub nfc: String,
    /// Folded, case preserved: "Hà Nội, TP.HCM" → "Ha Noi TP HCM".
    pub folded_case: String,
    /// Folded and lower case: "ha noi tp hcm". Words are separated by single spaces.
    pub folded: String,
    /// Lower case with diacritics kept (tone placement unified, see [`light`]), split into
    /// words exactly like `folded`, so word `i` of one is word `i` of the other.
    pub light: String,
}

impl Text {
    /// Normalises `raw`.
    pub fn new(raw: &str) -> Text {
        let nfc: String = raw.trim().nfc().collect();
        let (folded_case, light) = expand_shorthand(&fold_keep_case(&nfc), &light(&nfc));
        let folded = folded_case.to_lowercase();
        Text {
            nfc,
            folded_case,
            folded,
            light,
        }
    }

    /// The folded words.
    pub fn words(&self) -> Vec<&str> {
        self.folded.split(' ').filter(|w| !w.is_empty()).collect()
    }

    /// Whether the folded text contains `phrase` (already folded) as whole words.
    pub fn has(&self, phrase: &str) -> bool {
        find_words(&self.folded, phrase).is_some()
    }

    /// Whether any of `phrases` occurs as whole words.
    pub fn has_any(&self, phrases: &[&str]) -> bool {
        phrases.iter().any(|p| self.has(p))
    }
}

/// Chat shorthand and frequent typos (DOMAIN.md §7), word for word, in folded form: "bn" →
/// "bao nhieu", "ko"/"k" → "khong", "dc" → "duoc", "xog" → "xong", "dk" → "dieu kien",
/// "tỉ" → "ty", "CHV" → "chap hanh vien", … Ambiguous ones ("ds" = danh sách or dân sự, "TP",
/// two-letter places) are left to the linker, which reads them in context.
const SHORTHAND: &[(&str, &str)] = &[
    ("bn", "bao nhieu"),
    ("bnh", "bao nhieu"),
    ("nhiu", "nhieu"),
    ("ko", "khong"),
    ("k", "khong"),
    ("kh", "khong"),
    ("hok", "khong"),
    ("dc", "duoc"),
    ("xog", "xong"),
    ("xon", "xong"),
    ("dk", "dieu kien"),
    ("tha", "thi hanh an"),
    ("chv", "chap hanh vien"),
    ("ttv", "tham tra vien"),
    ("tb", "trung binh"),
    ("bq", "binh quan"),
    ("sl", "so luong"),
    ("ntk", "nam thong ke"),
    ("qd", "quyet dinh"),
    ("bl", "bien lai"),
    ("tl", "ty le"),
    ("ti", "ty"),
    ("thg", "thang"),
    ("trg", "trong"),
    ("vnd", "dong"),
    ("vnđ", "dong"),
    ("vs", "voi"),
    ("ng", "nguoi"),
];

/// The month part of "t10/2026", "t9": `t` then a month number 1–12, optionally "/yyyy".
fn month_shorthand(word: &str) -> Option<&str> {
    let rest = word.strip_prefix(['t', 'T'])?;
    let month = rest.split('/').next()?;
    let n: u32 = month.parse().ok()?;
    let year_ok = rest
        .split_once('/')
        .is_none_or(|(_, y)| y.len() == 4 && y.chars().all(|c| c.is_ascii_digit()));
    ((1..=12).contains(&n) && year_ok).then_some(rest)
}

/// Applies [`SHORTHAND`] to the folded (case kept) and light forms, keeping them word-aligned.
fn expand_shorthand(folded_case: &str, light: &str) -> (String, String) {
    let f: Vec<&str> = folded_case.split(' ').filter(|w| !w.is_empty()).collect();
    let l: Vec<&str> = light.split(' ').filter(|w| !w.is_empty()).collect();
    let aligned = f.len() == l.len();
    let mut out_f: Vec<&str> = Vec::with_capacity(f.len());
    let mut out_l: Vec<&str> = Vec::with_capacity(l.len());
    for (i, w) in f.iter().enumerate() {
        let lower = w.to_lowercase();
        // "T10/2026", "t9": a month written with its initial.
        if let Some(month) = month_shorthand(w) {
            out_f.push("thang");
            out_f.push(month);
            if aligned {
                out_l.push("tháng");
                out_l.push(month);
            }
            continue;
        }
        match SHORTHAND.iter().find(|(short, _)| *short == lower) {
            Some((_, long)) => {
                out_f.extend(long.split(' '));
                if aligned {
                    out_l.extend(long.split(' '));
                }
            }
            None => {
                out_f.push(w);
                if aligned {
                    out_l.push(l[i]);
                }
            }
        }
    }
    if aligned {
        (out_f.join(" "), out_l.join(" "))
    } else {
        (out_f.join(" "), light.to_owned())
    }
}

/// Lower case NFC with punctuation handled as in [`fold_keep_case`] and the old tone placement
/// ("hoá", "thuỷ") rewritten to the new one ("hóa", "thủy"), so diacritics can still tell
/// "Điện Biên" from "diễn biến".
pub fn light(s: &str) -> String {
    const TONES: [(&str, &str); 10] = [
        ("oá", "óa"),
        ("oà", "òa"),
        ("oả", "ỏa"),
        ("oã", "õa"),
        ("oạ", "ọa"),
        ("uý", "úy"),
        ("uỳ", "ùy"),
        ("uỷ", "ủy"),
        ("uỹ", "ũy"),
        ("uỵ", "ụy"),
    ];
    // The old placement differs only in an open syllable ending in "oa"/"uy" ("hoá", "thuỷ");
    // "soát", "hoàn" are the same in both conventions.
    let words: Vec<String> = fold_with(s, false)
        .to_lowercase()
        .split(' ')
        .map(|w| {
            TONES.iter().find(|(old, _)| w.ends_with(old)).map_or_else(
                || w.to_owned(),
                |(old, new)| format!("{}{new}", &w[..w.len() - old.len()]),
            )
        })
        .collect();
    words.join(" ")
}

/// Whether a word carries Vietnamese diacritics (any non-ASCII letter).
pub fn has_diacritics(word: &str) -> bool {
    !word.is_ascii()
}

/// Folds `s`: diacritics removed, đ → d, punctuation → space, spaces collapsed; case kept.
pub fn fold_keep_case(s: &str) -> String {
    fold_with(s, true)
}

fn fold_with(s: &str, strip: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last_space = true;
    let chars: Box<dyn Iterator<Item = char>> = if strip {
        Box::new(s.nfd())
    } else {
        Box::new(s.nfc())
    };
    for c in chars {
        if strip && is_combining_mark(c) {
            continue;
        }
        let c = match c {
            'đ' if strip => 'd',
            'Đ' if strip => 'D',
            c => c,
        };
        if c.is_alphanumeric() || c == '%' {
            out.push(c);
            last_space = false;
        } else if matches!(c, '/' | '-' | ',' | '.') && !last_space && keeps_joiner(s, &out, c) {
            // Dates "15/12", codes "T01-KV03" and numbers "2,5" keep their joiner.
            out.push(c);
        } else if !last_space {
            out.push(' ');
            last_space = true;
        }
    }
    // A joiner kept at the end of a word ("HCM." or "2,") is punctuation after all.
    let trimmed: Vec<&str> = out
        .split(' ')
        .map(|w| w.trim_end_matches(['/', '-', ',', '.']))
        .filter(|w| !w.is_empty())
        .collect();
    let joined = trimmed.join(" ");
    // "TP.HCM" → "TP HCM": a dot between letters separates words.
    split_letter_dots(&joined)
}

/// Folds and lower-cases `s` (the form every stored name is compared in).
pub fn fold(s: &str) -> String {
    fold_keep_case(s).to_lowercase()
}

fn keeps_joiner(_source: &str, out: &str, _c: char) -> bool {
    out.chars().last().is_some_and(|p| p.is_alphanumeric())
}

fn split_letter_dots(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|j| chars.get(j));
        let next = chars.get(i + 1);
        let between_letters =
            prev.is_some_and(|p| p.is_alphabetic()) && next.is_some_and(|n| n.is_alphabetic());
        if (c == '.' || c == ',') && between_letters {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// Byte offset of `phrase` in `text` as whole words (both folded, single-spaced).
pub fn find_words(text: &str, phrase: &str) -> Option<usize> {
    if phrase.is_empty() {
        return None;
    }
    let mut from = 0;
    while let Some(pos) = text.get(from..).and_then(|t| t.find(phrase)) {
        let start = from + pos;
        let end = start + phrase.len();
        let before_ok = start == 0 || text[..start].ends_with(' ');
        let after_ok = end == text.len() || text[end..].starts_with(' ');
        if before_ok && after_ok {
            return Some(start);
        }
        from = start + 1;
        while !text.is_char_boundary(from) {
            from += 1;
        }
    }
    None
}

/// Parses a Vietnamese number: "50", "1.234.567", "2,5", "84,25".
pub fn parse_number(word: &str) -> Option<f64> {
    let w = word.trim_end_matches('%');
    if w.is_empty()
        || !w
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return None;
    }
    let groups: Vec<&str> = w.split('.').collect();
    let integer_dots = groups.len() > 1 && groups[1..].iter().all(|g| g.len() == 3);
    let s = if integer_dots {
        w.replace('.', "")
    } else {
        w.to_owned()
    };
    s.replace(',', ".").parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_diacritics_d_and_punctuation() {
        let t = Text::new("  Hà Nội, TP.HCM và Đà Nẵng?  ");
        assert_eq!(t.folded, "ha noi tp hcm va da nang");
        assert_eq!(t.folded_case, "Ha Noi TP HCM va Da Nang");
    }

    #[test]
    fn nfd_and_old_tone_placement_fold_the_same() {
        let nfd: String = "Thanh Hoá".nfd().collect();
        assert_eq!(Text::new(&nfd).folded, Text::new("Thanh Hóa").folded);
        assert_eq!(Text::new(&nfd).nfc, "Thanh Hoá".nfc().collect::<String>());
    }

    #[test]
    fn months_written_with_their_initial() {
        assert_eq!(
            Text::new("T10/2026 vs T10/2025").folded,
            "thang 10/2026 voi thang 10/2025"
        );
        assert_eq!(Text::new("tại TP").folded, "tai tp");
    }

    #[test]
    fn keeps_dates_codes_and_decimals() {
        let t = Text::new("Báo cáo trước 15/12, phòng T01-KV03, 2,5 tỷ.");
        assert_eq!(t.folded, "bao cao truoc 15/12 phong t01-kv03 2,5 ty");
    }

    #[test]
    fn whole_word_search() {
        let t = Text::new("tỉnh Quảng Ninh");
        assert!(t.has("quang ninh"));
        assert!(!t.has("ninh b"));
        assert!(!Text::new("hanoi").has("ha"));
    }

    #[test]
    fn chat_shorthand_and_typos_expand() {
        let t = Text::new("bn viec chua co dk, ty le xog, tỉ lệ CHV ko dc");
        assert_eq!(
            t.folded,
            "bao nhieu viec chua co dieu kien ty le xong ty le chap hanh vien khong duoc"
        );
        assert_eq!(t.words().len(), t.light.split(' ').count());
        // Place abbreviations and case-sensitive codes are the linker's business.
        assert_eq!(Text::new("DNai HN").folded_case, "DNai HN");
    }

    #[test]
    fn vietnamese_numbers() {
        assert_eq!(parse_number("1.234.567"), Some(1_234_567.0));
        assert_eq!(parse_number("2,5"), Some(2.5));
        assert_eq!(parse_number("84,25%"), Some(84.25));
        assert_eq!(parse_number("50"), Some(50.0));
        assert_eq!(parse_number("abc"), None);
    }
}
