//! Strings of the site header, the leadership's home and "Việc của tôi".

// Header.
pub const LABEL: &str = "Điều hướng chính";
pub const SKIP: &str = "Bỏ qua điều hướng";
pub const HOME: &str = "Trang chủ";
pub const WALL: &str = "Màn hình điều hành";
pub const COUNTRY: &str = "Toàn quốc";
pub const MY_PROVINCE: &str = "Tỉnh của tôi";
pub const MY_OFFICE: &str = "Phòng của tôi";
pub const MY_WORK: &str = "Việc của tôi";
pub const CONSOLE: &str = "Hỏi đáp";
pub const TASKS: &str = "Nhiệm vụ";
pub const AUDIT: &str = "Nhật ký";
/// After the open-task count of the badge ("12 đang mở").
pub const TASKS_OPEN: &str = "đang mở";
/// After the overdue-task count of the badge ("3 quá hạn").
pub const TASKS_OVERDUE: &str = "quá hạn";

// The leadership's home: what needs attention today.
pub const ATTENTION_HEADING: &str = "Cần chú ý hôm nay";
pub const WEAKEST_HEADING: &str = "Tỉnh có tỷ lệ thi hành xong (việc) thấp nhất";
pub const BREACHES_HEADING: &str = "Vi phạm thời hạn tăng so với hôm qua";
pub const BREACHES_NONE: &str = "Không tỉnh nào tăng số việc vi phạm thời hạn so với hôm qua.";
pub const BREACHES_UNKNOWN: &str = "Chưa có số liệu của ngày hôm trước để so sánh.";
pub const TASKS_LATE_HEADING: &str = "Nhiệm vụ quá hạn";
pub const TASKS_LATE_NONE: &str = "Không có nhiệm vụ nào quá hạn.";
pub const ALERTS_HEADING: &str = "Cảnh báo mới";
pub const ALERTS_SINCE_VISIT: &str = "Cảnh báo mới từ lần truy cập trước";
pub const ALERTS_NONE: &str = "Không có cảnh báo mới (máy chủ giữ các cảnh báo từ khi khởi động).";
pub const ALL_TASKS: &str = "Xem tất cả nhiệm vụ";
pub const TO_COUNTRY: &str = "Xem bảng toàn quốc";
pub const TOTALS_HEADING: &str = "Số liệu chung";

// "Việc của tôi".
pub const MY_WORK_TITLE: &str = "Việc của tôi — THADS IOC";
pub const MY_WORK_TASKS: &str = "Nhiệm vụ của phòng";
