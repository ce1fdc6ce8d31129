//! Every Vietnamese string of the UI, grouped by page, and the number/date formatters.

pub mod ask;
pub mod auth;
pub mod dash;
pub mod nav;
pub mod tasks;

pub const APP_TITLE: &str = "THADS IOC — Trung tâm điều hành thi hành án dân sự";
pub const APP_NAME: &str = "Trung tâm điều hành thi hành án dân sự";
pub const APP_SHORT: &str = "THADS IOC";

// Home page.
pub const HOME_HEADING: &str = "Tổng quan toàn quốc";
pub const HOME_AS_OF: &str = "Số liệu tính đến ngày";
pub const HOME_PROVINCES: &str = "Tỉnh, thành phố";
pub const HOME_OFFICES: &str = "Phòng THADS khu vực";
pub const HOME_OFFICERS: &str = "Chấp hành viên đang công tác";
pub const HOME_CASES: &str = "Tổng số việc thi hành án";
pub const HOME_BACKLOG: &str = "Việc chưa kết thúc";
pub const HOME_RECEIPTS: &str = "Tiền đã thu qua biên lai";
pub const HOME_TOTALS_LABEL: &str = "Số liệu toàn quốc";
pub const HOME_REFRESH: &str = "Làm mới số liệu";
pub const HOME_REFRESHED: &str = "Đã làm mới";
pub const HOME_TIMES: &str = "lần";
pub const HOME_EMPTY: &str = "Chưa có dữ liệu. Hãy chạy lệnh nạp dữ liệu mẫu (ioc seed).";
pub const LOADING: &str = "Đang tải…";

// Errors.
pub const ERR_INTERNAL: &str = "Đã có lỗi ở máy chủ. Vui lòng thử lại sau.";
pub const ERR_UNAVAILABLE: &str = "Không kết nối được cơ sở dữ liệu.";
pub const ERR_NOT_FOUND: &str = "Không tìm thấy dữ liệu được yêu cầu.";
pub const NOT_FOUND_HEADING: &str = "Không tìm thấy trang";
pub const NOT_FOUND_BACK: &str = "Về trang chủ";

// Units.
pub const UNIT_TY_DONG: &str = "tỷ đồng";

/// Formats an integer with Vietnamese thousands separators: `1234567` → `"1.234.567"`.
pub fn format_int(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(ch);
    }
    out
}

/// Formats a decimal with `decimals` places, `.` for thousands and `,` for the decimal point:
/// `84.256` with 2 → `"84,26"`.
pub fn format_decimal(x: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, x.abs());
    let (int_part, frac) = s.split_once('.').unwrap_or((&s, ""));
    let int_value: i64 = int_part.parse().unwrap_or(0);
    let sign = if x < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{}", format_int(int_value))
    } else {
        format!("{sign}{},{frac}", format_int(int_value))
    }
}

/// An amount in đồng as a number of tỷ đồng with 2 decimals: `1_234_560_000_000` → `"1.234,56"`.
pub fn ty_dong_number(dong: i64) -> String {
    format_decimal(dong as f64 / 1e9, 2)
}

/// An amount in đồng as tỷ đồng with its unit: `1_234_560_000_000` → `"1.234,56 tỷ đồng"`.
pub fn format_ty_dong(dong: i64) -> String {
    format!("{} {UNIT_TY_DONG}", ty_dong_number(dong))
}

/// The placeholder and the hint of a date field.
pub const DATE_PLACEHOLDER: &str = "dd/mm/yyyy";
pub const DATE_HINT: &str = "Ngày theo dạng ngày/tháng/năm, ví dụ 05/12/2026";

/// Reads a date typed as `dd/mm/yyyy` (day and month of one or two digits) or sent as ISO
/// `yyyy-mm-dd`, and gives it as ISO; `None` when it is neither or no such day exists.
pub fn parse_date(s: &str) -> Option<String> {
    let s = s.trim();
    let numbers = |parts: Vec<&str>| -> Option<Vec<u32>> {
        parts
            .iter()
            .map(|p| {
                (!p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| p.parse().ok())
                    .flatten()
            })
            .collect()
    };
    let (y, m, d) = if s.contains('/') {
        match numbers(s.split('/').collect())?.as_slice() {
            [d, m, y] if s.split('/').nth(2)?.len() == 4 => (*y, *m, *d),
            _ => return None,
        }
    } else {
        match numbers(s.split('-').collect())?.as_slice() {
            [y, m, d] if s.len() == 10 => (*y, *m, *d),
            _ => return None,
        }
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (y >= 1900 && (1..=days).contains(&d)).then(|| format!("{y:04}-{m:02}-{d:02}"))
}

/// Formats an ISO date `YYYY-MM-DD` as `dd/mm/yyyy`; other input is returned unchanged.
pub fn format_date(iso: &str) -> String {
    let mut parts = iso.splitn(3, '-');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(y), Some(m), Some(d)) if y.len() == 4 && m.len() == 2 && d.len() == 2 => {
            format!("{d}/{m}/{y}")
        }
        _ => iso.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_in_the_vietnamese_form_and_as_iso() {
        assert_eq!(parse_date("05/12/2026").as_deref(), Some("2026-12-05"));
        assert_eq!(parse_date(" 5/1/2027 ").as_deref(), Some("2027-01-05"));
        assert_eq!(parse_date("2026-12-05").as_deref(), Some("2026-12-05"));
        assert_eq!(parse_date("29/02/2028").as_deref(), Some("2028-02-29"));
        for bad in [
            "29/02/2027",
            "31/04/2026",
            "12/13/2026",
            "05/12/26",
            "2026-1-5",
            "",
            "a/b/c",
            "00/01/2026",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        assert_eq!(format_date(&parse_date("5/1/2027").unwrap()), "05/01/2027");
    }

    #[test]
    fn integers_use_dots() {
        assert_eq!(format_int(0), "0");
        assert_eq!(format_int(999), "999");
        assert_eq!(format_int(1000), "1.000");
        assert_eq!(format_int(1_234_567), "1.234.567");
        assert_eq!(format_int(-1_064_419), "-1.064.419");
    }

    #[test]
    fn decimals_use_comma() {
        assert_eq!(format_decimal(84.256, 2), "84,26");
        assert_eq!(format_decimal(1234.5, 1), "1.234,5");
        assert_eq!(format_decimal(-0.001, 2), "0,00");
        assert_eq!(format_decimal(-2.5, 1), "-2,5");
        assert_eq!(format_ty_dong(1_234_560_000_000), "1.234,56 tỷ đồng");
    }

    #[test]
    fn dates_are_day_first() {
        assert_eq!(format_date("2026-12-15"), "15/12/2026");
        assert_eq!(format_date("garbage"), "garbage");
    }
}
