//! Strings of task assignment: the confirmation step of `/hoi-dap` and the task board
//! (`/nhiem-vu`).

pub const TITLE: &str = "Nhiệm vụ được giao — THADS IOC";
pub const HEADING: &str = "Nhiệm vụ được giao";
pub const INTRO: &str = "Nhiệm vụ giao bằng câu lệnh ở trang Hỏi đáp. Đơn vị được giao cập nhật trạng thái, tiến độ và ghi chú; tiến độ theo dữ liệu đếm số hồ sơ liên quan đã chuyển trạng thái kể từ ngày giao.";
pub const AS_OF: &str = "Số liệu đến ngày";

// The draft.
pub const DRAFT_HEADING: &str = "Dự thảo giao việc";
pub const DRAFT_HINT: &str =
    "Kiểm tra và sửa từng trường trước khi giao. Chưa có gì được lưu cho đến khi bạn xác nhận.";
pub const UNITS: &str = "Đơn vị được giao";
pub const TITLE_LABEL: &str = "Tiêu đề";
pub const ACTION: &str = "Loại việc";
pub const DEADLINE: &str = "Hạn hoàn thành";
pub const QUANTITY: &str = "Số lượng theo yêu cầu";
pub const LINKED: &str = "Số hồ sơ liên quan được gắn";
pub const SCOPE: &str = "Phạm vi hồ sơ";
pub const COMMAND: &str = "Câu lệnh gốc";
pub const CONFIRM: &str = "Xác nhận giao việc";
pub const CONFIRMING: &str = "Đang giao…";
pub const CONFIRMED: &str = "Đã giao nhiệm vụ";
pub const OPEN_BOARD: &str = "Xem bảng nhiệm vụ";

// The board.
pub const FILTERS: &str = "Lọc nhiệm vụ";
pub const ALL_UNITS: &str = "Tất cả đơn vị";
pub const ALL_STATUSES: &str = "Mọi trạng thái";
pub const STATUS: &str = "Trạng thái";
pub const DUE_BY: &str = "Hạn đến ngày";
pub const ONLY_OVERDUE: &str = "Chỉ nhiệm vụ quá hạn";
pub const FILTER: &str = "Lọc";
pub const CLEAR: &str = "Bỏ lọc";
pub const NONE: &str = "Không có nhiệm vụ nào phù hợp.";
pub const COUNT: &str = "nhiệm vụ";
pub const ASSIGNED: &str = "Giao ngày";
pub const DUE: &str = "Hạn";
pub const OVERDUE: &str = "Quá hạn";
pub const REPORTED: &str = "Tiến độ báo cáo";
pub const MOVED: &str = "Hồ sơ đã chuyển biến";
pub const LAST_NOTE: &str = "Ghi chú gần nhất";
pub const UPDATE: &str = "Cập nhật";
pub const PROGRESS: &str = "Tiến độ (%)";
pub const NOTE: &str = "Ghi chú";
pub const NOTE_PLACEHOLDER: &str = "Kết quả, vướng mắc, đề xuất…";
pub const SAVED: &str = "Đã cập nhật.";
pub const LIVE_NEW: &str = "Có nhiệm vụ mới hoặc vừa cập nhật";

// The province view panel.
pub const AREA_HEADING: &str = "Nhiệm vụ của tỉnh";
pub const AREA_OPEN: &str = "đang mở";
pub const AREA_OVERDUE: &str = "quá hạn";
pub const AREA_ALL: &str = "Xem tất cả nhiệm vụ";

/// The Vietnamese name of a status code.
pub fn status(code: &str) -> &'static str {
    match code {
        "moi" => "Mới giao",
        "dang_thuc_hien" => "Đang thực hiện",
        "hoan_thanh" => "Hoàn thành",
        "huy" => "Đã hủy",
        _ => "Không rõ",
    }
}

/// The Vietnamese name of an action code.
pub fn action(code: &str) -> &'static str {
    match code {
        "ra_soat" => "Rà soát",
        "bao_cao" => "Báo cáo",
        "xu_ly" => "Xử lý, đôn đốc",
        "kiem_tra" => "Kiểm tra",
        "doi_chieu" => "Đối chiếu",
        _ => "Khác",
    }
}
