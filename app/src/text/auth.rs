//! Strings of sign-in, the account menu, the change-password page, refusals and the audit log.

// Errors and refusals.
pub const ERR_UNAUTHORIZED: &str =
    "Chưa đăng nhập hoặc phiên làm việc đã hết hạn. Vui lòng đăng nhập lại.";
pub const ERR_FORBIDDEN: &str = "Tài khoản của bạn không có quyền truy cập nội dung này.";
pub const ERR_CSRF: &str =
    "Yêu cầu bị từ chối vì không xuất phát từ trang của hệ thống (kiểm tra nguồn gốc yêu cầu).";
pub const ERR_READ_ONLY: &str = "Màn hình điều hành chỉ được xem, không được thay đổi dữ liệu.";
pub const FORBIDDEN_HEADING: &str = "Không có quyền truy cập";

// Login page.
pub const LOGIN_TITLE: &str = "Đăng nhập — THADS IOC";
pub const LOGIN_HEADING: &str = "Đăng nhập";
pub const LOGIN_INTRO: &str =
    "Trung tâm điều hành thi hành án dân sự. Dùng tài khoản được cấp cho đơn vị của bạn.";
pub const LOGIN_NAME: &str = "Tên đăng nhập";
pub const LOGIN_PASSWORD: &str = "Mật khẩu";
pub const LOGIN_SUBMIT: &str = "Đăng nhập";
pub const LOGIN_WRONG: &str = "Tên đăng nhập hoặc mật khẩu không đúng.";
pub const LOGIN_LOCKED_BEFORE: &str =
    "Tài khoản tạm khóa do đăng nhập sai nhiều lần. Vui lòng thử lại sau";
pub const LOGIN_LOCKED_IP_BEFORE: &str =
    "Có quá nhiều lần đăng nhập sai từ địa chỉ này. Vui lòng thử lại sau";
pub const LOGIN_MINUTES: &str = "phút.";
pub const LOGIN_KIOSK_BAD: &str =
    "Mã màn hình không hợp lệ hoặc đã bị thu hồi. Liên hệ quản trị để cấp mã mới.";
pub const LOGIN_ERROR: &str = "Không đăng nhập được do lỗi máy chủ. Vui lòng thử lại.";
pub const LOGIN_LOGGED_OUT: &str = "Bạn đã đăng xuất.";
pub const LOGIN_NEED: &str = "Vui lòng đăng nhập để tiếp tục.";

// Account menu.
pub const MENU_LABEL: &str = "Tài khoản";
pub const MENU_LOGOUT: &str = "Đăng xuất";
pub const MENU_PASSWORD: &str = "Đổi mật khẩu";

// Change-password page.
pub const PASSWORD_TITLE: &str = "Đổi mật khẩu — THADS IOC";
pub const PASSWORD_HEADING: &str = "Đổi mật khẩu";
pub const PASSWORD_CURRENT: &str = "Mật khẩu hiện tại";
pub const PASSWORD_NEW: &str = "Mật khẩu mới (ít nhất 10 ký tự)";
pub const PASSWORD_CONFIRM: &str = "Nhập lại mật khẩu mới";
pub const PASSWORD_SUBMIT: &str = "Đổi mật khẩu";
pub const PASSWORD_OK: &str =
    "Đã đổi mật khẩu. Các phiên đăng nhập khác của tài khoản này đã bị đóng.";
pub const PASSWORD_WRONG: &str = "Mật khẩu hiện tại không đúng.";
pub const PASSWORD_MISMATCH: &str = "Mật khẩu mới và mật khẩu nhập lại không khớp.";
pub const PASSWORD_SAME: &str = "Mật khẩu mới phải khác mật khẩu hiện tại.";
pub const PASSWORD_SHORT: &str = "Mật khẩu mới phải có ít nhất 10 ký tự.";

// Roles.
pub const ROLE_LANH_DAO: &str = "Lãnh đạo Bộ, Cục";
pub const ROLE_PHAN_TICH: &str = "Chuyên viên phân tích";
pub const ROLE_TRUONG_TINH: &str = "Lãnh đạo THADS tỉnh";
pub const ROLE_TRUONG_PHONG: &str = "Lãnh đạo phòng THADS khu vực";
pub const ROLE_CHAP_HANH_VIEN: &str = "Chấp hành viên";
pub const ROLE_MAN_HINH: &str = "Màn hình điều hành";

/// The Vietnamese name of a role code (`queries::access::Role::code`).
pub fn role_label(code: &str) -> &'static str {
    match code {
        "lanh_dao" => ROLE_LANH_DAO,
        "phan_tich" => ROLE_PHAN_TICH,
        "truong_tinh" => ROLE_TRUONG_TINH,
        "truong_phong" => ROLE_TRUONG_PHONG,
        "chap_hanh_vien" => ROLE_CHAP_HANH_VIEN,
        "man_hinh" => ROLE_MAN_HINH,
        _ => "—",
    }
}

// Audit log page.
pub const AUDIT_TITLE: &str = "Nhật ký truy cập — THADS IOC";
pub const AUDIT_HEADING: &str = "Nhật ký truy cập và thao tác";
pub const AUDIT_INTRO: &str =
    "Ghi nhận đăng nhập (cả lần sai), đăng xuất, câu hỏi và câu lệnh SQL, xuất dữ liệu, nhiệm vụ và thao tác quản trị. Nhật ký chỉ được ghi thêm, không sửa, không xóa.";
pub const AUDIT_FILTERS: &str = "Lọc nhật ký";
pub const AUDIT_ACTION: &str = "Hành động";
pub const AUDIT_ACTOR: &str = "Tài khoản";
pub const AUDIT_OUTCOME: &str = "Kết quả";
pub const AUDIT_FROM: &str = "Từ ngày";
pub const AUDIT_TO: &str = "Đến ngày";
pub const AUDIT_ALL: &str = "Tất cả";
pub const AUDIT_APPLY: &str = "Lọc";
pub const AUDIT_CLEAR: &str = "Bỏ lọc";
pub const AUDIT_TIME: &str = "Thời điểm (giờ Việt Nam)";
pub const AUDIT_ADDRESS: &str = "Địa chỉ";
pub const AUDIT_DETAIL: &str = "Chi tiết";
pub const AUDIT_CAPTION: &str = "Các mục nhật ký, mới nhất trước";
pub const AUDIT_EMPTY: &str = "Không có mục nào khớp bộ lọc.";
pub const AUDIT_TOTAL: &str = "mục";
pub const AUDIT_PAGE: &str = "Trang";
pub const AUDIT_PREV: &str = "Trang trước";
pub const AUDIT_NEXT: &str = "Trang sau";
pub const AUDIT_PAGES: &str = "Phân trang";

/// The Vietnamese name of an audit action code (`server::audit::action`).
pub fn action_label(code: &str) -> &str {
    match code {
        "login" => "Đăng nhập",
        "logout" => "Đăng xuất",
        "password_change" => "Đổi mật khẩu",
        "kiosk_open" => "Mở màn hình bằng mã",
        "access_denied" => "Truy cập bị từ chối",
        "user_add" => "Tạo tài khoản",
        "user_reset_password" => "Đặt lại mật khẩu",
        "kiosk_token_create" => "Cấp mã màn hình",
        "kiosk_token_revoke" => "Thu hồi mã màn hình",
        "question" => "Câu hỏi",
        "export" => "Xuất dữ liệu",
        "task" => "Nhiệm vụ",
        other => other,
    }
}

/// The Vietnamese name of an audit outcome code.
pub fn outcome_label(code: &str) -> &str {
    match code {
        "ok" => "Thành công",
        "failed" => "Không thành công",
        "locked" => "Bị tạm khóa",
        "denied" => "Bị từ chối",
        "refused" => "Không trả lời",
        other => other,
    }
}
