//! The working-day calendar of DOMAIN.md §6 (`lich`): public holidays, working days, and
//! deadlines counted in working days ("trong 10 ngày làm việc").

use chrono::{Datelike, Duration, NaiveDate};

/// Public holiday name of a date (DOMAIN.md §6 list, approximate), if any.
pub fn holiday_name(y: i32, m: u32, d: u32) -> Option<&'static str> {
    /// (year, first (month, day), last (month, day)).
    type Range = (i32, (u32, u32), (u32, u32));
    const TET: [Range; 4] = [
        (2024, (2, 8), (2, 14)),
        (2025, (1, 25), (2, 2)),
        (2026, (2, 14), (2, 22)),
        (2027, (2, 4), (2, 10)),
    ];
    const GIO_TO: [(i32, u32, u32); 4] =
        [(2024, 4, 18), (2025, 4, 7), (2026, 4, 27), (2027, 4, 16)];
    match (m, d) {
        (1, 1) => return Some("Tết Dương lịch"),
        (4, 30) => return Some("Ngày Giải phóng miền Nam, thống nhất đất nước"),
        (5, 1) => return Some("Ngày Quốc tế Lao động"),
        (9, 1) => return Some("Quốc khánh (nghỉ liền kề)"),
        (9, 2) => return Some("Quốc khánh"),
        _ => {}
    }
    if TET
        .iter()
        .any(|&(ty, from, to)| ty == y && (m, d) >= from && (m, d) <= to)
    {
        return Some("Tết Nguyên đán");
    }
    if GIO_TO.iter().any(|&(gy, gm, gd)| (gy, gm, gd) == (y, m, d)) {
        return Some("Giỗ Tổ Hùng Vương");
    }
    None
}

/// Monday to Friday and not a public holiday.
pub fn is_working_day(d: NaiveDate) -> bool {
    d.weekday().number_from_monday() <= 5 && holiday_name(d.year(), d.month(), d.day()).is_none()
}

/// The longest span, in days, a period, a duration or a deadline may have (a century): a larger
/// number in a question or a command is not a date.
pub const MAX_DAYS: i64 = 36_600;

/// The date `n` working days after `from` (`from` itself not counted); `None` beyond
/// [`MAX_DAYS`].
pub fn add_working_days(from: NaiveDate, n: i64) -> Option<NaiveDate> {
    if n > MAX_DAYS {
        return None;
    }
    let mut d = from;
    let mut left = n;
    while left > 0 {
        d = d.checked_add_signed(Duration::days(1))?;
        if is_working_day(d) {
            left -= 1;
        }
    }
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn working_days_skip_weekends_and_tet() {
        // Friday 2026-11-20 + 10 working days = Friday 2026-12-04.
        assert_eq!(add_working_days(d(2026, 11, 20), 10), Some(d(2026, 12, 4)));
        // Friday 2025-01-24 + 1 working day = Monday 2025-02-03 (Tết 25/1–2/2).
        assert_eq!(add_working_days(d(2025, 1, 24), 1), Some(d(2025, 2, 3)));
        assert!(!is_working_day(d(2026, 9, 2)));
        assert!(is_working_day(d(2026, 9, 3)));
    }
}
