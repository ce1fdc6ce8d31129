//! Time expressions resolved against the data's as-of date (DOMAIN.md §4, §7).
//!
//! The statistical year Y runs 1 Oct (Y−1) – 30 Sep Y; "năm nay", "năm 2026" and "từ đầu năm"
//! mean statistical years, quarters and months are calendar ones, "năm dương lịch" follows the
//! user. Every resolved period carries a Vietnamese label with its dates, which the answer
//! states.

use crate::calendar::MAX_DAYS;
use chrono::{Datelike, Duration, Months, NaiveDate};

use super::normalize::{find_words, Text};

/// A closed date range the question is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Set when the range is (a cumulative part of) one statistical year.
    pub stat_year: Option<i32>,
    /// How the answer names it: "năm thống kê 2026 (01/10/2025 – 30/09/2026)".
    pub label: String,
}

/// The statistical year containing `d`.
pub fn stat_year_of(d: NaiveDate) -> i32 {
    if d.month() >= 10 {
        d.year() + 1
    } else {
        d.year()
    }
}

/// First and last day of statistical year `y`.
pub fn stat_year_bounds(y: i32) -> (NaiveDate, NaiveDate) {
    (ymd(y - 1, 10, 1), ymd(y, 9, 30))
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

/// `dd/mm/yyyy` as Vietnamese write it.
pub fn vn_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

fn last_of_month(y: i32, m: u32) -> NaiveDate {
    let first = ymd(y, m, 1);
    first
        .checked_add_months(Months::new(1))
        .and_then(|n| n.pred_opt())
        .unwrap_or(first)
}

fn range_label(what: &str, from: NaiveDate, to: NaiveDate) -> String {
    format!("{what} ({} – {})", vn_date(from), vn_date(to))
}

fn stat_year_period(y: i32, as_of: NaiveDate, what: &str) -> Period {
    let (s, e) = stat_year_bounds(y);
    Period {
        from: s,
        to: e,
        stat_year: Some(y),
        label: range_label(&format!("{what} {y}"), s, e.min(as_of).max(s)),
    }
}

/// Two periods the question compares: "tháng này so với tháng trước", "quý 2 và quý 3 năm
/// 2026", "năm 2025 với 2026", "từ đầu năm so với cùng kỳ năm trước" (the first period one year
/// back; without a first period, the statistical year to date). The first is the one the
/// question is about.
pub fn compared_periods(text: &Text, as_of: NaiveDate) -> Option<(Period, Period)> {
    let f = &text.folded;
    for sep in [" so voi ", " so sanh voi ", " voi ", " va ", " hay "] {
        let Some(k) = f.find(sep) else { continue };
        let (a, b) = (&f[..k], &f[k + sep.len()..]);
        let first = resolve(&Text::new(a), as_of);
        if b.contains("cung ky") {
            let first = first.unwrap_or_else(|| {
                let y = stat_year_of(as_of);
                let (s, _) = stat_year_bounds(y);
                Period {
                    from: s,
                    to: as_of,
                    stat_year: Some(y),
                    label: range_label(&format!("năm thống kê {y} đến nay"), s, as_of),
                }
            });
            let (from, to) = (shift_year(first.from, -1), shift_year(first.to, -1));
            let second = Period {
                from,
                to,
                stat_year: first.stat_year.map(|y| y - 1),
                label: range_label("cùng kỳ năm trước", from, to),
            };
            return Some((first, second));
        }
        let Some(first) = first else { continue };
        // "quý 2 và quý 3", "năm 2025 và 2026": the second may omit the period's noun.
        let noun = a
            .split(' ')
            .rev()
            .find(|w| matches!(*w, "quy" | "thang" | "nam"))
            .unwrap_or("");
        let second = resolve(&Text::new(b), as_of).or_else(|| {
            let starts_with_number = b
                .split(' ')
                .next()
                .is_some_and(|w| w.parse::<u32>().is_ok());
            (starts_with_number && !noun.is_empty())
                .then(|| resolve(&Text::new(&format!("{noun} {b}")), as_of))
                .flatten()
        });
        if let Some(second) = second {
            if second != first {
                return Some((first, second));
            }
        }
    }
    None
}

/// Finds the first time expression of `text`, resolved against `as_of`. "chuyển sang năm Y"
/// alone names the end of year Y − 1 (the carry-over into Y).
pub fn resolve(text: &Text, as_of: NaiveDate) -> Option<Period> {
    let p = resolve_first(text, as_of)?;
    let words = text.words();
    let into = words
        .windows(3)
        .find(|w| w[0] == "sang" && w[1] == "nam")
        .and_then(|w| year_word(w[2]));
    match (into, p.stat_year) {
        (Some(y), Some(py)) if py == y && !text.has("tu nam") => {
            Some(stat_year_period(y - 1, as_of, "năm thống kê"))
        }
        _ => Some(p),
    }
}

fn resolve_first(text: &Text, as_of: NaiveDate) -> Option<Period> {
    let t = &text.folded;
    let words: Vec<&str> = text.words();
    let cur_y = stat_year_of(as_of);

    if let Some(p) = explicit_range(&words, as_of) {
        return Some(p);
    }
    if text.has_any(&["cung ky nam truoc", "cung ky nam ngoai"]) {
        let (s, _) = stat_year_bounds(cur_y);
        let from = shift_year(s, -1);
        let to = shift_year(as_of, -1);
        return Some(Period {
            from,
            to,
            stat_year: Some(cur_y - 1),
            label: range_label("cùng kỳ năm trước", from, to),
        });
    }
    // "3/6/9 tháng (đầu) năm [YYYY|nay]": cumulative periods from 1 Oct.
    for (i, w) in words.iter().enumerate() {
        let n = match *w {
            "3" => 3,
            "6" => 6,
            "9" => 9,
            _ => continue,
        };
        if words.get(i + 1) != Some(&"thang") {
            continue;
        }
        let mut j = i + 2;
        if words.get(j) == Some(&"dau") {
            j += 1;
        }
        if words.get(j) != Some(&"nam") {
            continue;
        }
        let y = words.get(j + 1).and_then(|y| year_word(y)).unwrap_or(cur_y);
        let (s, _) = stat_year_bounds(y);
        let to = s
            .checked_add_months(Months::new(n))
            .and_then(|d| d.pred_opt())
            .unwrap_or(s);
        return Some(Period {
            from: s,
            to,
            stat_year: Some(y),
            label: range_label(&format!("{n} tháng năm thống kê {y}"), s, to),
        });
    }
    if text.has_any(&["hom nay", "ngay hom nay"]) {
        return Some(day(as_of, "hôm nay"));
    }
    if text.has("hom qua") {
        return Some(day(as_of - Duration::days(1), "hôm qua"));
    }
    if let Some(p) = last_n_days(&words, as_of) {
        return Some(p);
    }
    if text.has("tuan nay") || text.has("tuan hien tai") {
        let mon = monday(as_of);
        return Some(span(mon, as_of, "tuần này"));
    }
    if text.has("tuan truoc") || text.has("tuan qua") {
        let mon = monday(as_of) - Duration::days(7);
        return Some(span(mon, mon + Duration::days(6), "tuần trước"));
    }
    if text.has("thang nay") {
        return Some(span(
            ymd(as_of.year(), as_of.month(), 1),
            as_of,
            "tháng này",
        ));
    }
    if text.has("thang truoc") || text.has("thang vua qua") {
        let first = ymd(as_of.year(), as_of.month(), 1);
        let prev = first.pred_opt().unwrap_or(first);
        return Some(span(ymd(prev.year(), prev.month(), 1), prev, "tháng trước"));
    }
    if let Some(p) = quarter(text, &words, as_of) {
        return Some(p);
    }
    if let Some(p) = named_month(&words, as_of) {
        return Some(p);
    }
    // Calendar year when the user says so.
    for (i, w) in words.iter().enumerate() {
        if let Some(y) = year_word(w) {
            let next2 = words
                .get(i + 1..(i + 3).min(words.len()))
                .map(|s| s.join(" "));
            let prev2 = i
                .checked_sub(2)
                .and_then(|k| words.get(k..i))
                .map(|s| s.join(" "));
            let prev3 = i
                .checked_sub(3)
                .and_then(|k| words.get(k..i))
                .map(|s| s.join(" "));
            let calendar = next2.as_deref() == Some("duong lich")
                || prev3.as_deref() == Some("nam duong lich")
                || prev2.as_deref() == Some("duong lich");
            if calendar {
                let (from, to) = (ymd(y, 1, 1), ymd(y, 12, 31));
                return Some(Period {
                    from,
                    to,
                    stat_year: None,
                    label: range_label(&format!("năm dương lịch {y}"), from, to),
                });
            }
        }
    }
    if find_words(t, "tu dau nam").is_some()
        || text.has("nam nay")
        || text.has("nam thong ke nay")
        || text.has("nam cong tac nay")
    {
        let (s, _) = stat_year_bounds(cur_y);
        let what = if text.has("tu dau nam") {
            "từ đầu năm thống kê"
        } else {
            "năm thống kê"
        };
        return Some(Period {
            from: s,
            to: as_of,
            stat_year: Some(cur_y),
            label: range_label(&format!("{what} {cur_y} đến nay"), s, as_of),
        });
    }
    if text.has("nam ngoai") || text.has("nam truoc") || text.has("nam thong ke truoc") {
        return Some(stat_year_period(cur_y - 1, as_of, "năm thống kê"));
    }
    // A bare year: "năm 2026", "năm thống kê 2026", "NTK 2026", "2026".
    for w in &words {
        if let Some(y) = year_word(w) {
            return Some(stat_year_period(y, as_of, "năm thống kê"));
        }
    }
    None
}

fn day(d: NaiveDate, what: &str) -> Period {
    Period {
        from: d,
        to: d,
        stat_year: None,
        label: format!("{what} ({})", vn_date(d)),
    }
}

fn span(from: NaiveDate, to: NaiveDate, what: &str) -> Period {
    Period {
        from,
        to,
        stat_year: None,
        label: range_label(what, from, to),
    }
}

fn monday(d: NaiveDate) -> NaiveDate {
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

fn shift_year(d: NaiveDate, years: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(d.year() + years, d.month(), d.day())
        .unwrap_or_else(|| last_of_month(d.year() + years, d.month()))
}

/// A four-digit year between 2000 and 2099.
fn year_word(w: &str) -> Option<i32> {
    let y: i32 = w.parse().ok()?;
    (w.len() == 4 && (2000..2100).contains(&y)).then_some(y)
}

/// `d` moved by `n` days, if that is a date.
fn days_after(d: NaiveDate, n: i64) -> Option<NaiveDate> {
    d.checked_add_signed(Duration::try_days(n)?)
}

/// "N ngày qua / gần đây / vừa qua / gần nhất": the last N days including today.
fn last_n_days(words: &[&str], as_of: NaiveDate) -> Option<Period> {
    for (i, w) in words.iter().enumerate() {
        let Ok(n) = w.parse::<i64>() else { continue };
        if words.get(i + 1) != Some(&"ngay") {
            continue;
        }
        let next = words.get(i + 2).copied().unwrap_or("");
        let next2 = words.get(i + 3).copied().unwrap_or("");
        let recent = matches!(
            (next, next2),
            ("qua", _) | ("gan", "day") | ("vua", "qua") | ("gan", "nhat") | ("tro", "lai")
        );
        let before = i.checked_sub(1).and_then(|k| words.get(k)).copied();
        if recent || before == Some("trong") && matches!(next, "qua" | "gan") {
            // A span the data cannot have (beyond MAX_DAYS) is not a period.
            let from = days_after(as_of, 1 - n).filter(|_| (1..=MAX_DAYS).contains(&n))?;
            return Some(span(from, as_of, &format!("{n} ngày qua")));
        }
    }
    None
}

fn quarter(text: &Text, words: &[&str], as_of: NaiveDate) -> Option<Period> {
    let q_of = |d: NaiveDate| (d.month() - 1) / 3 + 1;
    let bounds = |y: i32, q: u32| (ymd(y, q * 3 - 2, 1), last_of_month(y, q * 3));
    if text.has("quy nay") {
        let q = q_of(as_of);
        let (from, _) = bounds(as_of.year(), q);
        return Some(span(from, as_of, &format!("quý {q}/{}", as_of.year())));
    }
    if text.has("quy truoc") {
        let (mut y, mut q) = (as_of.year(), q_of(as_of));
        if q == 1 {
            y -= 1;
            q = 4;
        } else {
            q -= 1;
        }
        let (from, to) = bounds(y, q);
        return Some(span(from, to, &format!("quý {q}/{y}")));
    }
    for (i, w) in words.iter().enumerate() {
        if *w != "quy" {
            continue;
        }
        let q = match words.get(i + 1).copied() {
            Some("1" | "i") => 1,
            Some("2" | "ii") => 2,
            Some("3" | "iii") => 3,
            Some("4" | "iv") => 4,
            _ => continue,
        };
        let y = words[i + 2..]
            .iter()
            .take(2)
            .find_map(|w| year_word(w))
            .unwrap_or_else(|| {
                let y = as_of.year();
                if bounds(y, q).0 > as_of {
                    y - 1
                } else {
                    y
                }
            });
        let (from, to) = bounds(y, q);
        return Some(span(from, to, &format!("quý {q}/{y}")));
    }
    None
}

/// "tháng 10", "tháng 3 năm 2026", "tháng 3/2026": a calendar month (the latest one ≤ as-of
/// when the year is not given).
fn named_month(words: &[&str], as_of: NaiveDate) -> Option<Period> {
    for (i, w) in words.iter().enumerate() {
        if *w != "thang" {
            continue;
        }
        let Some(next) = words.get(i + 1) else {
            continue;
        };
        let (m, y) = if let Some((m, y)) = next.split_once('/') {
            (m.parse::<u32>().ok()?, year_word(y))
        } else {
            let m = match next.parse::<u32>() {
                Ok(m) => m,
                Err(_) => continue,
            };
            let y = match (words.get(i + 2), words.get(i + 3)) {
                (Some(&"nam"), Some(y)) => year_word(y),
                _ => None,
            };
            (m, y)
        };
        if !(1..=12).contains(&m) {
            continue;
        }
        let y = y.unwrap_or_else(|| {
            if ymd(as_of.year(), m, 1) > as_of {
                as_of.year() - 1
            } else {
                as_of.year()
            }
        });
        let (from, to) = (ymd(y, m, 1), last_of_month(y, m));
        return Some(span(from, to, &format!("tháng {m}/{y}")));
    }
    None
}

/// "từ (ngày) 12/12/2025 đến nay / đến 20/11/2026", "ngày 12/12/2025".
fn explicit_range(words: &[&str], as_of: NaiveDate) -> Option<Period> {
    let dates: Vec<(usize, NaiveDate)> = words
        .iter()
        .enumerate()
        .filter_map(|(i, w)| parse_date(w, as_of, false).map(|d| (i, d)))
        .collect();
    let (i, from) = *dates.first()?;
    let after: Vec<&str> = words[i + 1..].iter().take(4).copied().collect();
    let to = if let Some((_, to)) = dates.get(1) {
        *to
    } else if after
        .windows(2)
        .any(|w| w == ["den", "nay"] || w == ["toi", "nay"])
        || words.contains(&"nay")
    {
        as_of
    } else {
        from
    };
    let label = if from == to {
        format!("ngày {}", vn_date(from))
    } else {
        format!("{} – {}", vn_date(from), vn_date(to))
    };
    Some(Period {
        from,
        to,
        stat_year: None,
        label,
    })
}

/// `d/m/yyyy`, or `d/m` when `allow_no_year` (then the next occurrence on or after `as_of`).
pub fn parse_date(w: &str, as_of: NaiveDate, allow_no_year: bool) -> Option<NaiveDate> {
    let parts: Vec<&str> = w.split('/').collect();
    let d: u32 = parts.first()?.parse().ok()?;
    let m: u32 = parts.get(1)?.parse().ok()?;
    match parts.get(2) {
        Some(y) => {
            let y: i32 = y.parse().ok()?;
            NaiveDate::from_ymd_opt(y, m, d)
        }
        None if allow_no_year => {
            let this = NaiveDate::from_ymd_opt(as_of.year(), m, d)?;
            if this >= as_of {
                Some(this)
            } else {
                NaiveDate::from_ymd_opt(as_of.year() + 1, m, d)
            }
        }
        None => None,
    }
}

/// A task deadline (DOMAIN.md §7 "Dates without year"); `working_days_after(as_of, n)` comes
/// from the calendar. `None` when the command names no deadline (the caller asks back).
pub fn deadline(
    text: &Text,
    as_of: NaiveDate,
    working_days_after: impl Fn(NaiveDate, i64) -> Option<NaiveDate>,
) -> Option<NaiveDate> {
    let words = text.words();
    // An explicit date anywhere ("trước 15/12", "hạn 5/12", "trước ngày 31/12/2026").
    for w in &words {
        if let Some(d) = parse_date(w, as_of, true) {
            return Some(d);
        }
    }
    for (i, w) in words.iter().enumerate() {
        let Ok(n) = w.parse::<i64>() else { continue };
        let before = i.checked_sub(1).and_then(|k| words.get(k)).copied();
        if !matches!(before, Some("trong" | "sau" | "vong" | "han")) {
            continue;
        }
        if !(0..=MAX_DAYS).contains(&n) {
            return None;
        }
        match (
            words.get(i + 1).copied(),
            words.get(i + 2).copied(),
            words.get(i + 3).copied(),
        ) {
            (Some("ngay"), Some("lam"), Some("viec")) => return working_days_after(as_of, n),
            (Some("ngay"), _, _) => return days_after(as_of, n),
            (Some("tuan"), _, _) => return days_after(as_of, 7 * n),
            (Some("thang"), _, _) => {
                return as_of.checked_add_months(Months::new(u32::try_from(n).ok()?))
            }
            _ => {}
        }
    }
    if text.has("cuoi tuan") {
        return Some(monday(as_of) + Duration::days(6));
    }
    if text.has_any(&["tuan sau", "tuan toi"]) {
        return Some(monday(as_of) + Duration::days(7 + 4));
    }
    if text.has("cuoi thang") {
        return Some(last_of_month(as_of.year(), as_of.month()));
    }
    if text.has("cuoi quy") {
        let q = (as_of.month() - 1) / 3 + 1;
        return Some(last_of_month(as_of.year(), q * 3));
    }
    if text.has("cuoi nam thong ke") {
        return Some(stat_year_bounds(stat_year_of(as_of)).1);
    }
    if text.has("cuoi nam") {
        return Some(ymd(as_of.year(), 12, 31));
    }
    for (i, w) in words.iter().enumerate() {
        if *w == "thang" && i > 0 && words[i - 1] == "trong" {
            if let Some(m) = words.get(i + 1).and_then(|m| m.parse::<u32>().ok()) {
                if (1..=12).contains(&m) {
                    let y = if m < as_of.month() {
                        as_of.year() + 1
                    } else {
                        as_of.year()
                    };
                    return Some(last_of_month(y, m));
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_periods_compared() {
        let as_of = ymd(2026, 11, 20);
        let two = |q: &str| {
            compared_periods(&Text::new(q), as_of).map(|(a, b)| {
                (
                    a.from.to_string(),
                    a.to.to_string(),
                    b.from.to_string(),
                    b.to.to_string(),
                )
            })
        };
        assert_eq!(
            two("Số việc thụ lý tháng này so với tháng trước"),
            Some((
                "2026-11-01".into(),
                "2026-11-20".into(),
                "2026-10-01".into(),
                "2026-10-31".into()
            ))
        );
        assert_eq!(
            two("Từ đầu năm đến nay thu bao nhiêu, so với cùng kỳ năm trước?"),
            Some((
                "2026-10-01".into(),
                "2026-11-20".into(),
                "2025-10-01".into(),
                "2025-11-20".into()
            ))
        );
        assert_eq!(
            two("so sánh số đơn quý 2 và quý 3 năm 2026").map(|x| (x.0, x.2)),
            Some(("2026-04-01".into(), "2026-07-01".into()))
        );
        assert_eq!(two("Số việc KDTM và HNGD năm 2026"), None);
    }

    fn as_of() -> NaiveDate {
        ymd(2026, 11, 20)
    }

    fn r(q: &str) -> (String, String) {
        let p = resolve(&Text::new(q), as_of()).unwrap();
        (p.from.to_string(), p.to.to_string())
    }

    fn s(a: &str, b: &str) -> (String, String) {
        (a.into(), b.into())
    }

    #[test]
    fn relative_expressions_of_domain_section_7() {
        assert_eq!(r("hôm nay"), s("2026-11-20", "2026-11-20"));
        assert_eq!(r("hôm qua"), s("2026-11-19", "2026-11-19"));
        assert_eq!(r("tuần này"), s("2026-11-16", "2026-11-20"));
        assert_eq!(r("tuần trước"), s("2026-11-09", "2026-11-15"));
        assert_eq!(r("7 ngày qua"), s("2026-11-14", "2026-11-20"));
        assert_eq!(r("30 ngày qua"), s("2026-10-22", "2026-11-20"));
        assert_eq!(r("tháng này"), s("2026-11-01", "2026-11-20"));
        assert_eq!(r("tháng trước"), s("2026-10-01", "2026-10-31"));
        assert_eq!(r("quý này"), s("2026-10-01", "2026-11-20"));
        assert_eq!(r("quý trước"), s("2026-07-01", "2026-09-30"));
        assert_eq!(r("quý 2 năm 2026"), s("2026-04-01", "2026-06-30"));
        assert_eq!(r("năm nay"), s("2026-10-01", "2026-11-20"));
        assert_eq!(r("năm ngoái"), s("2025-10-01", "2026-09-30"));
        assert_eq!(r("năm 2026"), s("2025-10-01", "2026-09-30"));
        assert_eq!(r("nam thong ke 2026"), s("2025-10-01", "2026-09-30"));
        assert_eq!(r("năm dương lịch 2026"), s("2026-01-01", "2026-12-31"));
        assert_eq!(r("6 tháng đầu năm 2026"), s("2025-10-01", "2026-03-31"));
        assert_eq!(r("9 tháng năm 2026"), s("2025-10-01", "2026-06-30"));
        assert_eq!(r("từ đầu năm đến nay"), s("2026-10-01", "2026-11-20"));
        assert_eq!(r("cùng kỳ năm trước"), s("2025-10-01", "2025-11-20"));
        assert_eq!(
            r("từ ngày 12/12/2025 đến nay"),
            s("2025-12-12", "2026-11-20")
        );
        assert_eq!(r("tháng 10"), s("2026-10-01", "2026-10-31"));
        assert_eq!(r("tháng 12"), s("2025-12-01", "2025-12-31"));
        assert!(resolve(&Text::new("bao nhiêu việc chưa xong"), as_of()).is_none());
    }

    #[test]
    fn statistical_year_is_tagged() {
        let p = resolve(&Text::new("năm 2026"), as_of()).unwrap();
        assert_eq!(p.stat_year, Some(2026));
        assert!(p.label.contains("01/10/2025"), "{}", p.label);
    }

    #[test]
    fn deadlines() {
        let wd = |d: NaiveDate, n: i64| Some(d + Duration::days(n + 4));
        let d = |q: &str| deadline(&Text::new(q), as_of(), wd).map(|d| d.to_string());
        assert_eq!(d("báo cáo trước 15/12").as_deref(), Some("2026-12-15"));
        assert_eq!(d("hạn 5/12").as_deref(), Some("2026-12-05"));
        assert_eq!(
            d("xong trước ngày 31/12/2026").as_deref(),
            Some("2026-12-31")
        );
        assert_eq!(d("hoàn thành trong 2 tuần").as_deref(), Some("2026-12-04"));
        assert_eq!(d("xong trong 20 ngày").as_deref(), Some("2026-12-10"));
        assert_eq!(d("trước cuối tháng").as_deref(), Some("2026-11-30"));
        assert_eq!(d("trong tuần sau").as_deref(), Some("2026-11-27"));
        assert_eq!(d("cuối quý").as_deref(), Some("2026-12-31"));
        assert_eq!(d("trong tháng 12").as_deref(), Some("2026-12-31"));
        assert_eq!(d("trong 10 ngày làm việc").as_deref(), Some("2026-12-04"));
        assert_eq!(d("rà soát các việc hoãn"), None);
    }

    mod never_panics {
        use super::*;
        use proptest::prelude::*;

        fn word() -> impl Strategy<Value = String> {
            let vocabulary = prop::sample::select(vec![
                "ngày", "ngay", "qua", "trong", "tháng", "năm", "quý", "tuần", "trước", "gần",
                "đây", "nhất", "làm", "việc", "sau", "hạn", "vòng", "từ", "đến", "cùng", "kỳ",
                "so", "với", "vs", "đầu", "cuối", "nay", "hôm", "này", "lũy", "kế", "thống", "kê",
                "và", "T", "Q", "/", "-", "", "hết",
            ])
            .prop_map(str::to_owned);
            let number = prop_oneof![
                any::<i64>().prop_map(|n| n.to_string()),
                any::<u64>().prop_map(|n| n.to_string()),
                (0u32..100_000).prop_map(|n| n.to_string()),
                "[0-9]{9,30}",
            ];
            let date = (0u32..40, 0u32..15, prop::option::of(0i64..300_000)).prop_map(
                |(d, m, y)| match y {
                    Some(y) => format!("{d}/{m}/{y}"),
                    None => format!("{d}/{m}"),
                },
            );
            let quarter = (0u32..10, -5i64..99_999).prop_map(|(m, y)| format!("T{m}/{y}"));
            prop_oneof![4 => vocabulary, 3 => number, 1 => date, 1 => quarter, 1 => "\\PC{0,8}"]
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 3000, .. ProptestConfig::default() })]
            /// The date parser never panics (issue 17: "99999999999 ngày qua" did), whatever
            /// numbers and time words a question holds.
            #[test]
            fn time_expressions_never_panic(words in prop::collection::vec(word(), 0..12), day in -40_000i64..40_000) {
                let q = words.join(" ");
                let as_of = as_of()
                    .checked_add_signed(Duration::days(day))
                    .unwrap_or_else(as_of);
                let text = Text::new(&q);
                // "từ 1/1/1981 đến nay" asked on 31/12/1980 is an empty range, not an error.
                if let Some(p) = resolve(&text, as_of) {
                    prop_assert!(!p.label.is_empty(), "{q}: {p:?}");
                }
                let _ = compared_periods(&text, as_of);
                let _ = deadline(&text, as_of, crate::calendar::add_working_days);
                for w in &words {
                    let _ = parse_date(w, as_of, true);
                }
            }
        }

        #[test]
        fn huge_numbers_are_not_dates() {
            let t = |q: &str| Text::new(q);
            assert_eq!(resolve(&t("99999999999 ngày qua"), as_of()), None);
            assert_eq!(resolve(&t("0 ngày qua"), as_of()), None);
            assert_eq!(
                deadline(
                    &t("trong 99999999999 ngày làm việc"),
                    as_of(),
                    crate::calendar::add_working_days
                ),
                None
            );
            assert_eq!(
                deadline(
                    &t("trong 9223372036854775807 tuần"),
                    as_of(),
                    crate::calendar::add_working_days
                ),
                None
            );
        }
    }
}
