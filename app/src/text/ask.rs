//! Strings of the analyst console (`/hoi-dap`).

pub const TITLE: &str = "Hỏi đáp số liệu — THADS IOC";
pub const HEADING: &str = "Hỏi đáp số liệu";
pub const INTRO: &str = "Đặt câu hỏi bằng tiếng Việt (có dấu hoặc không dấu). Câu trả lời được tính trên dữ liệu trực tiếp bằng câu lệnh SQL mà bạn xem và sửa được.";
pub const QUESTION_LABEL: &str = "Câu hỏi";
pub const QUESTION_PLACEHOLDER: &str = "Ví dụ: Tỷ lệ thi hành xong về việc năm nay của Hà Nội";
pub const QUESTION_HINT: &str = "Nhấn Enter để hỏi, Shift+Enter để xuống dòng.";
pub const ASK: &str = "Hỏi";
pub const EXAMPLES: &str = "Câu hỏi mẫu";
pub const HISTORY: &str = "Câu hỏi trong phiên";
pub const HISTORY_EMPTY: &str = "Chưa có câu hỏi nào.";
pub const FOLLOW_UP: &str = "Câu tiếp theo sẽ được hiểu trong ngữ cảnh câu trước:";
pub const NEW_TOPIC: &str = "Bắt đầu chủ đề mới";
pub const STAGE_UNDERSTANDING: &str = "Đang phân tích câu hỏi…";
pub const STAGE_GENERATING: &str = "Mô hình đang lập kế hoạch truy vấn…";
pub const STAGE_RUNNING: &str = "Đang chạy truy vấn trên dữ liệu…";
pub const ANSWER: &str = "Trả lời";
pub const CANNOT_ANSWER: &str = "Không trả lời được";
pub const REASON: &str = "Lý do";
pub const SUGGESTIONS: &str = "Bạn có thể thử:";
pub const TASK_DRAFT: &str = "Dự thảo giao việc";
pub const TABLE: &str = "Bảng kết quả";
pub const NO_ROWS: &str = "Truy vấn không trả về dòng nào.";
pub const SQL: &str = "Câu lệnh SQL";
pub const SQL_HINT: &str = "Bạn có thể sửa câu lệnh rồi chạy lại; câu lệnh luôn đi qua bộ kiểm tra an toàn và chỉ đọc dữ liệu trong phạm vi của bạn.";
pub const RERUN: &str = "Chạy lại";
pub const SQL_UNCONFIRMED: &str = "Câu lệnh này đến từ một đường dẫn nên chưa được chạy. Hãy đọc kỹ câu lệnh, rồi bấm «Chạy lại» nếu bạn muốn chạy.";
pub const CSV: &str = "Tải CSV";
pub const AS_OF: &str = "Số liệu tính đến ngày";
pub const LATENCY: &str = "Thời gian trả lời";
pub const PLAN: &str = "Kế hoạch của mô hình";
pub const ROWS: &str = "dòng";
pub const CHART: &str = "Biểu đồ";
pub const ERR_EMPTY: &str = "Hãy nhập câu hỏi.";
pub const ERR_TOO_LONG: &str = "Câu hỏi quá dài (tối đa 500 ký tự).";
pub const ERR_SQL_TOO_LONG: &str = "Câu lệnh SQL quá dài (tối đa 8.000 ký tự).";
pub const ERR_BUSY: &str = "Hệ thống đang bận trả lời các câu hỏi khác; hãy thử lại sau ít giây.";
pub const ERR_RATE: &str = "Bạn đã hỏi quá nhiều trong một phút; hãy chờ một lát rồi hỏi tiếp.";
pub const ERR_CONNECTION: &str = "Mất kết nối với máy chủ khi đang trả lời; hãy hỏi lại.";
pub const ERR_KIOSK: &str = "Màn hình treo tường không được dùng hỏi đáp.";
pub const ERR_NO_DATA: &str = "Chưa có dữ liệu để trả lời (dữ liệu phân tích chưa được nạp).";
pub const SQL_REFUSED: &str = "Câu lệnh không được chạy";
pub const MS: &str = "ms";
pub const FROM_PROVINCE: &str = "Hỏi đáp về tỉnh này";

/// Example questions across the metrics (not the evaluation sentences).
pub const EXAMPLE_QUESTIONS: [&str; 12] = [
    "Có bao nhiêu việc đang thi hành trên cả nước?",
    "Tỷ lệ thi hành xong về việc năm nay theo từng tỉnh",
    "Số tiền đã thu năm nay của TP.HCM",
    "Số việc tồn đọng của Đà Nẵng chia theo tháng",
    "10 tỉnh có nhiều việc quá hạn nhất",
    "Tỷ lệ thi hành xong về tiền của Hà Nội năm nay",
    "Số việc thụ lý mới theo quý năm nay",
    "Có bao nhiêu việc chưa có điều kiện thi hành ở Cần Thơ?",
    "So sánh số việc đã thi hành xong giữa các vùng",
    "Số khiếu nại mới trong tháng này theo tỉnh",
    "Tổng số tiền phải thi hành của án hình sự năm nay",
    "Số chấp hành viên đang công tác ở Hải Phòng",
];

/// Suggestions after a refusal.
pub const SUGGESTED: [&str; 3] = [
    "Hỏi về một chỉ tiêu có trong hệ thống: số việc, số tiền, tỷ lệ thi hành xong, việc quá hạn, khiếu nại.",
    "Nêu rõ địa bàn (tỉnh, cả nước) và thời gian (năm nay, quý trước, 6 tháng đầu năm).",
    "Chỉ hỏi trong phạm vi dữ liệu bạn được xem; hệ thống không sửa hay xóa dữ liệu.",
];
