//! Strings of the dashboards (wall display, national and provincial views, drill-down).

// Navigation and scope.
pub const NAV_LABEL: &str = "Đường dẫn";
pub const NAV_COUNTRY: &str = "Toàn quốc";
pub const NAV_WALL: &str = "Màn hình điều hành";
pub const BAD_FILTER: &str = "Tham số lọc không hợp lệ (quá dài).";
pub const EXPORT_RATE: &str =
    "Bạn đã xuất dữ liệu quá nhiều lần trong thời gian ngắn; vui lòng thử lại sau ít phút.";
pub const FORBIDDEN: &str =
    "Bạn không có quyền xem số liệu này: trang thuộc phạm vi ngoài đơn vị được phân quyền.";

// Wall display.
pub const WALL_TITLE: &str = "Màn hình điều hành thi hành án dân sự toàn quốc";
pub const WALL_HEADING: &str = "Điều hành thi hành án dân sự — Toàn quốc";
pub const WALL_YEAR: &str = "Năm thống kê";
pub const WALL_AS_OF: &str = "Số liệu đến ngày";
pub const WALL_UPDATED: &str = "Cập nhật lúc";
pub const WALL_KPIS: &str = "Chỉ tiêu chính toàn quốc";
pub const WALL_PANELS: &str = "Bảng thông tin luân phiên";
pub const WALL_PANEL_TREND: &str = "Tỷ lệ xong theo tháng";
pub const WALL_PANEL_MONEY: &str = "Tiền thu theo tháng";
pub const WALL_PANEL_WEAK: &str = "Tỉnh, thành phố cần chú ý";
pub const WALL_PANEL_RULES: &str = "Vi phạm thời hạn theo quy tắc";
pub const WALL_ALERTS: &str = "Cảnh báo trực tiếp";
pub const WALL_NO_ALERTS: &str = "Chưa có cảnh báo mới kể từ khi mở màn hình.";
pub const WALL_TASKS: &str = "Nhiệm vụ đang mở";
pub const WALL_NO_TASKS: &str = "Không có nhiệm vụ đang mở.";
pub const WALL_TASKS_TOTAL: &str = "Tổng số nhiệm vụ đang mở";
pub const WALL_TASK_DUE: &str = "Hạn";
pub const WALL_TASK_LATE: &str = "Quá hạn";

// KPI cards.
pub const CARD_RATE_CASES: &str = "Tỷ lệ thi hành xong về việc";
pub const CARD_RATE_MONEY: &str = "Tỷ lệ thi hành xong về tiền";
pub const CARD_BACKLOG: &str = "Việc tồn đọng";
pub const CARD_OVERDUE: &str = "Vi phạm thời hạn";
pub const CARD_RECEIPTS_TODAY: &str = "Biên lai thu hôm nay";
pub const CARD_COMPLAINTS_OPEN: &str = "Đơn thư đang giải quyết";
pub const TARGET: &str = "Chỉ tiêu";
pub const VS_LAST_MONTH_END: &str = "so với cuối tháng trước";
pub const VS_YESTERDAY: &str = "so với hôm qua";
pub const YESTERDAY: &str = "Hôm qua";
pub const POINTS: &str = "điểm %";
pub const THIS_MONTH: &str = "Tháng này";
pub const LAST_MONTH: &str = "tháng trước";
pub const NEW_CASES: &str = "thụ lý mới";
pub const DONE_CASES: &str = "xong";
pub const COLLECTED: &str = "Thu tháng này";
pub const RECEIVED: &str = "Nhận mới tháng này";
pub const OVERDUE_RULES_NOTE: &str = "việc, đơn, nhiệm vụ theo 16 quy tắc QH01–QH16";
pub const RECEIPTS_UNIT: &str = "biên lai";
pub const CASES_UNIT: &str = "việc";
pub const PETITIONS_UNIT: &str = "đơn";
pub const GAP_TO_TARGET: &str = "còn thiếu";
pub const ABOVE_TARGET: &str = "vượt";

// Charts.
pub const CHART_RATE_TITLE: &str = "Tỷ lệ thi hành xong về việc, lũy kế từ 1/10";
pub const CHART_RATE_UNIT: &str = "Tỷ lệ (%)";
pub const CHART_MONEY_TITLE: &str = "Tiền thu qua biên lai, lũy kế từ 1/10";
pub const CHART_MONEY_UNIT: &str = "Tỷ đồng";
pub const CHART_YEAR: &str = "Năm thống kê";
pub const CHART_TARGET: &str = "Chỉ tiêu";
pub const CHART_RATE_ALT: &str =
    "Biểu đồ đường: tỷ lệ thi hành xong về việc lũy kế theo tháng, năm nay so với năm trước, và chỉ tiêu.";
pub const CHART_MONEY_ALT: &str =
    "Biểu đồ đường: tiền thu qua biên lai lũy kế theo tháng (tỷ đồng), năm nay so với năm trước.";

// Map.
pub const MAP_TITLE: &str = "Bản đồ 34 tỉnh, thành phố theo tỷ lệ thi hành xong về việc";
pub const MAP_RATE: &str = "tỷ lệ xong về việc";
pub const MAP_WEAK_SUFFIX: &str = " (thấp nhất cả nước)";
pub const LEGEND_GOOD: &str = "Cao hơn cả nước";
pub const LEGEND_NEAR: &str = "±2 điểm";
pub const LEGEND_LOW: &str = "Thấp hơn cả nước";
pub const MAP_WEAKEST: &str = "Thấp nhất:";
pub const NO_DATA: &str = "—";

// Live connection.
pub const LIVE_CONNECTING: &str = "Đang kết nối";
pub const LIVE_OPEN: &str = "Trực tuyến";
pub const LIVE_OFF: &str = "Mất kết nối";
pub const LIVE_LOST: &str = "Mất kết nối máy chủ từ";
pub const LIVE_STALE: &str = "Máy chủ chưa đọc được cơ sở dữ liệu từ";
pub const LIVE_STALE_DETAIL: &str =
    "Số liệu đang hiển thị có thể chưa cập nhật — hệ thống đang tự thử lại…";
pub const LIVE_RECONNECTING: &str =
    "Số liệu đang hiển thị có thể đã cũ — đang tự động kết nối lại…";

// Area views.
pub const AREA_COUNTRY_HEADING: &str = "Toàn quốc";
/// The caption of a unit's KPI table: "Chỉ tiêu so với <unit compared with> và chỉ tiêu giao".
pub const AREA_KPIS_BEFORE: &str = "Chỉ tiêu so với";
pub const AREA_KPIS_AFTER: &str = "và chỉ tiêu giao";
/// The caption of the country's KPI table (no unit above it).
pub const AREA_KPIS_ALONE: &str = "Chỉ tiêu và chỉ tiêu giao";
pub const COL_INDICATOR: &str = "Chỉ tiêu";
pub const COL_UNIT: &str = "Đơn vị";
pub const COL_TARGET: &str = "Chỉ tiêu giao";
pub const ROW_RATE_CASES: &str = "Tỷ lệ xong về việc (%)";
pub const ROW_RATE_MONEY: &str = "Tỷ lệ xong về tiền (%)";
pub const ROW_WITH_CONDITIONS: &str = "Việc có điều kiện";
pub const ROW_DONE: &str = "Việc thi hành xong";
pub const ROW_BACKLOG: &str = "Việc tồn đọng";
pub const ROW_OVERDUE: &str = "Vi phạm thời hạn";
pub const ROW_NEW: &str = "Thụ lý mới";
pub const ROW_OFFICERS: &str = "Chấp hành viên";
pub const ROW_PER_OFFICER: &str = "Việc xong / chấp hành viên";
pub const ROW_MONEY_DONE: &str = "Tiền thi hành xong (tỷ đồng)";
pub const RANK_PROVINCES: &str = "Xếp hạng tỉnh, thành phố theo tỷ lệ xong về việc";
pub const RANK_OFFICES: &str = "Xếp hạng phòng thi hành án khu vực theo tỷ lệ xong về việc";
pub const COL_RANK: &str = "Hạng";
pub const COL_NAME: &str = "Tên";
pub const COL_RATE_CASES: &str = "Xong về việc";
pub const COL_RATE_MONEY: &str = "Xong về tiền";
pub const COL_BACKLOG: &str = "Tồn đọng";
pub const COL_OVERDUE: &str = "Vi phạm";
pub const COL_MEETS: &str = "Đạt chỉ tiêu";
pub const COL_DONE: &str = "Đã xong";
pub const COL_OFFICE: &str = "Đơn vị";
pub const YES: &str = "Đạt";
pub const NO: &str = "Chưa đạt";
pub const OFFICERS_HEADING: &str = "Khối lượng công việc của chấp hành viên";
pub const OFFICERS_SHOWN: &str = "Hiển thị";
pub const OFFICERS_OF: &str = "trên tổng số";
pub const OFFICERS_NOTE: &str = "chấp hành viên, nhiều việc tồn đọng nhất trước.";
pub const RULES_HEADING: &str = "Vi phạm thời hạn theo quy tắc";
pub const COL_RULE: &str = "Quy tắc";
pub const COL_COUNT: &str = "Số lượng";

// Overdue list.
pub const OVERDUE_HEADING: &str = "Danh sách vi phạm thời hạn";
pub const FILTER_LEGEND: &str = "Lọc danh sách";
pub const FILTER_RULE: &str = "Quy tắc";
pub const FILTER_TYPE: &str = "Loại án";
pub const FILTER_OFFICE: &str = "Đơn vị";
pub const FILTER_PROVINCE: &str = "Tỉnh, thành phố";
pub const FILTER_SORT: &str = "Sắp xếp";
pub const FILTER_DESC: &str = "Giảm dần";
pub const FILTER_ALL: &str = "Tất cả";
pub const FILTER_APPLY: &str = "Lọc";
pub const FILTER_RESET: &str = "Bỏ lọc";
pub const SORT_DATE: &str = "Ngày thụ lý";
pub const SORT_MONEY: &str = "Số tiền phải thi hành";
pub const SORT_RULE: &str = "Quy tắc";
pub const SORT_CODE: &str = "Mã việc";
pub const EXPORT_CSV: &str = "Xuất CSV";
pub const COL_CASE: &str = "Việc / đối tượng";
pub const COL_TYPE: &str = "Loại án";
pub const COL_STATUS: &str = "Trạng thái";
pub const COL_DATE: &str = "Ngày thụ lý";
pub const COL_AMOUNT: &str = "Phải thi hành (đồng)";
pub const COL_COLLECTED: &str = "Đã thu (đồng)";
pub const COL_OFFICER: &str = "Chấp hành viên";
pub const OVERDUE_EMPTY: &str = "Không có vi phạm nào khớp bộ lọc.";
pub const OVERDUE_TOTAL: &str = "Tìm thấy";
pub const OVERDUE_ROWS: &str = "dòng";
pub const PAGE: &str = "Trang";
pub const PAGE_OF: &str = "/";
pub const PAGE_PREV: &str = "‹ Trang trước";
pub const PAGE_NEXT: &str = "Trang sau ›";
pub const PAGINATION: &str = "Phân trang";
pub const SUBJECT_PETITION: &str = "Đơn thư số";
pub const SUBJECT_TASK: &str = "Nhiệm vụ số";
pub const SUBJECT_DECISION: &str = "Quyết định số";
pub const INVALID_RULE: &str = "Quy tắc không hợp lệ:";
pub const INVALID_TYPE: &str = "Loại án không hợp lệ:";
pub const INVALID_SORT: &str = "Cách sắp xếp không hợp lệ:";
/// Header row of the CSV export.
pub const CSV_HEADER: &str = "Quy tắc,Tên quy tắc,Mã đối tượng,Mã việc,Loại án,Trạng thái,Ngày thụ lý,Số tiền phải thi hành (đồng),Mã tỉnh,Đơn vị,Chấp hành viên";

// Office, officer and case.
pub const OFFICE_OFFICERS: &str = "Chấp hành viên của đơn vị";
pub const OFFICER_CASES: &str = "Việc đang thi hành";
pub const OFFICER_CASES_EMPTY: &str = "Không có việc đang thi hành.";
pub const COL_PROVINCE: &str = "Tỉnh";
pub const CASE_HEADING: &str = "Việc thi hành án";
pub const CASE_FACTS: &str = "Thông tin việc";
pub const CASE_OFFICE: &str = "Cơ quan thi hành án";
pub const CASE_OFFICER: &str = "Chấp hành viên";
pub const CASE_UNASSIGNED: &str = "Chưa phân công";
pub const CASE_TYPE: &str = "Loại án";
pub const CASE_FORM: &str = "Hình thức";
pub const CASE_STATUS: &str = "Trạng thái";
pub const CASE_CONDITIONS: &str = "Điều kiện thi hành";
pub const CASE_WITH: &str = "Có điều kiện";
pub const CASE_WITHOUT: &str = "Chưa có điều kiện";
pub const CASE_INTAKE: &str = "Ngày thụ lý";
pub const CASE_DECISION: &str = "Ngày ra quyết định thi hành án";
pub const CASE_VERIFIED: &str = "Ngày xác minh gần nhất";
pub const CASE_ENDED: &str = "Ngày kết thúc";
pub const CASE_AMOUNT: &str = "Số tiền phải thi hành";
pub const CASE_COLLECTED: &str = "Số tiền đã thi hành";
pub const CASE_FLAGS: &str = "Vi phạm thời hạn hiện tại";
pub const CASE_NO_FLAGS: &str = "Không vi phạm quy tắc nào.";
pub const CASE_TIMELINE: &str = "Diễn biến hồ sơ";
pub const CASE_TIMELINE_EMPTY: &str = "Chưa có diễn biến.";
pub const DONG: &str = "đồng";
pub const SIGNED: &str = "ký số";
pub const NOT_SIGNED: &str = "chưa ký số";

/// Vietnamese name of a timeline entry kind.
pub fn timeline_kind(kind: &str) -> &'static str {
    match kind {
        "thu_ly" => "Thụ lý",
        "quyet_dinh" => "Quyết định",
        "xac_minh" => "Xác minh điều kiện thi hành",
        "bien_phap" => "Biện pháp bảo đảm, cưỡng chế",
        "bien_lai" => "Biên lai thu tiền",
        "don_thu" => "Đơn thư",
        "ket_thuc" => "Kết thúc",
        _ => "Khác",
    }
}

/// Vietnamese name of a code of the schema (case type, status, decision or measure type,
/// petition type …); the code itself when unknown.
pub fn code_name(code: &str) -> &str {
    match code {
        // loai_an
        "ds" => "Dân sự",
        "hs" => "Hình sự",
        "hngd" => "Hôn nhân và gia đình",
        "kdtm" => "Kinh doanh, thương mại",
        "ld" => "Lao động",
        "hc" => "Hành chính",
        "ps" => "Phá sản",
        "khac" => "Khác",
        // hinh_thuc
        "chu_dong" => "Chủ động",
        "theo_yeu_cau" => "Theo yêu cầu",
        // trang_thai of cases
        "cho_ra_quyet_dinh" => "Chờ ra quyết định",
        "dang_thi_hanh" => "Đang thi hành",
        "chua_co_dieu_kien" => "Chưa có điều kiện",
        "hoan" => "Hoãn",
        "tam_dinh_chi" => "Tạm đình chỉ",
        "xong" => "Xong",
        "dinh_chi" => "Đình chỉ",
        "uy_thac" => "Ủy thác",
        // quyet_dinh.loai
        "thi_hanh_an" => "Quyết định thi hành án",
        "tiep_tuc" => "Quyết định tiếp tục thi hành",
        "cuong_che" => "Quyết định cưỡng chế",
        // bien_phap_cuong_che.loai
        "phong_toa_tai_khoan" => "Phong tỏa tài khoản",
        "tam_giu_tai_san" => "Tạm giữ tài sản",
        "tam_dung_dang_ky" => "Tạm dừng đăng ký, chuyển dịch tài sản",
        "khau_tru_tai_khoan" => "Khấu trừ tiền trong tài khoản",
        "tru_thu_nhap" => "Trừ vào thu nhập",
        "ke_bien_tai_san" => "Kê biên tài sản",
        "khai_thac_tai_san" => "Khai thác tài sản",
        "buoc_chuyen_giao" => "Buộc chuyển giao vật, giấy tờ",
        "buoc_thuc_hien_cong_viec" => "Buộc thực hiện công việc",
        "tham_dinh_gia" => "Thẩm định giá",
        "ban_dau_gia" => "Bán đấu giá",
        // don_thu.loai and trang_thai
        "khieu_nai" => "Khiếu nại",
        "to_cao" => "Tố cáo",
        "kien_nghi" => "Kiến nghị",
        "moi" => "Mới",
        "dang_giai_quyet" => "Đang giải quyết",
        "da_giai_quyet" => "Đã giải quyết",
        "chuyen_don" => "Chuyển đơn",
        // bien_lai.trang_thai
        "hop_le" => "Hợp lệ",
        "da_huy" => "Đã hủy",
        other => other,
    }
}

/// Case types (`viec_thi_hanh.loai_an`) in display order.
pub const CASE_TYPES: [&str; 8] = ["ds", "hs", "hngd", "kdtm", "ld", "hc", "ps", "khac"];

/// A client or server time (ms since the Unix epoch) as `hh:mm:ss` in Vietnam time (UTC+7,
/// no daylight saving), the same on the server and in the browser.
pub fn clock(ms: i64) -> String {
    let secs = ms.div_euclid(1000) + 7 * 3600;
    let day = secs.rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", day / 3600, (day % 3600) / 60, day % 60)
}

/// A change in percentage points with its sign: `1.234` → `"+1,23"`.
pub fn signed_points(x: f64) -> String {
    let s = super::format_decimal(x, 2);
    if x > 0.0 && s != "0,00" {
        format!("+{s}")
    } else {
        s
    }
}

/// A change in a count with its sign: `12` → `"+12"`, `-1234` → `"−1.234"`, `0` → `"0"`.
pub fn signed_count(x: i64) -> String {
    let s = super::format_int(x.abs());
    match x.signum() {
        1 => format!("+{s}"),
        -1 => format!("−{s}"),
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_is_vietnam_time() {
        // 2026-11-20T02:03:04Z is 09:03:04 in Hà Nội.
        assert_eq!(clock(1_795_140_184_000), "09:03:04");
        assert_eq!(clock(0), "07:00:00");
        // 17:30 UTC is past midnight in Vietnam.
        assert_eq!(clock(17 * 3_600_000 + 30 * 60_000), "00:30:00");
    }

    #[test]
    fn points_and_codes() {
        assert_eq!(signed_points(1.234), "+1,23");
        assert_eq!(signed_points(-0.5), "-0,50");
        assert_eq!(signed_points(0.0), "0,00");
        assert_eq!(signed_count(12), "+12");
        assert_eq!(signed_count(-1234), "−1.234");
        assert_eq!(signed_count(0), "0");
        assert_eq!(code_name("hs"), "Hình sự");
        assert_eq!(code_name("zz"), "zz");
    }
}
