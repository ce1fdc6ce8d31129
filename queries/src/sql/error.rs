//! Why a guarded query did not run or did not finish: [`ExecError`].
//!
//! The `Display` is for the user, in Vietnamese, and never carries the engine's own words;
//! [`ExecError::detail`] has them, for the model's repair prompt and the logs.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What stopped a query, for programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecErrorKind {
    /// Refused before running: it would combine too many rows or grow strings too much.
    Budget,
    /// Stopped after [`super::Limits::timeout`].
    Timeout,
    /// Stopped because the caller cancelled it (the client went away).
    Cancelled,
    /// Ran, but the result is larger than [`super::Limits::max_result_cells`] or
    /// [`super::Limits::max_result_bytes`].
    ResultTooLarge,
    /// Polars could not plan or run it (a type mismatch, an unsupported shape, a panic).
    Engine,
}

impl ExecErrorKind {
    /// A short code for replies and audit records: `budget`, `timeout`, `cancelled`,
    /// `too_large`, `engine`.
    pub fn code(self) -> &'static str {
        match self {
            ExecErrorKind::Budget => "budget",
            ExecErrorKind::Timeout => "timeout",
            ExecErrorKind::Cancelled => "cancelled",
            ExecErrorKind::ResultTooLarge => "too_large",
            ExecErrorKind::Engine => "engine",
        }
    }
}

/// A query that did not run or did not finish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecError {
    /// What stopped it.
    pub kind: ExecErrorKind,
    /// For `Budget` and `ResultTooLarge`: what was too large, in Vietnamese (shown); for
    /// `Timeout`: the limit in seconds; for `Engine`: the engine's own message (never shown).
    detail: String,
}

// Without `analytics` nothing runs queries, so nothing makes these errors.
#[cfg_attr(not(feature = "analytics"), allow(dead_code))]
impl ExecError {
    pub(crate) fn budget(detail: impl Into<String>) -> ExecError {
        ExecError {
            kind: ExecErrorKind::Budget,
            detail: detail.into(),
        }
    }

    pub(crate) fn timeout(limit: Duration) -> ExecError {
        ExecError {
            kind: ExecErrorKind::Timeout,
            detail: format!("{}", limit.as_secs_f64()),
        }
    }

    pub(crate) fn cancelled() -> ExecError {
        ExecError {
            kind: ExecErrorKind::Cancelled,
            detail: String::new(),
        }
    }

    pub(crate) fn too_large(detail: impl Into<String>) -> ExecError {
        ExecError {
            kind: ExecErrorKind::ResultTooLarge,
            detail: detail.into(),
        }
    }

    pub(crate) fn engine(detail: impl Into<String>) -> ExecError {
        ExecError {
            kind: ExecErrorKind::Engine,
            detail: detail.into(),
        }
    }

    /// The message with, for an engine failure, the engine's own text: for the model's repair
    /// prompt and the logs, not for the user.
    pub fn detail(&self) -> String {
        match self.kind {
            ExecErrorKind::Engine => format!("{self} (Polars: {})", self.detail),
            _ => self.to_string(),
        }
    }
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.detail;
        match self.kind {
            ExecErrorKind::Budget => write!(f, "Câu truy vấn quá nặng nên không được chạy: {d}."),
            ExecErrorKind::Timeout => write!(
                f,
                "Câu truy vấn chạy quá {} giây nên đã bị dừng. Hãy thêm điều kiện lọc, bớt phép \
                 nối, hoặc hỏi cho phạm vi hẹp hơn.",
                d.replace('.', ",")
            ),
            ExecErrorKind::Cancelled => write!(f, "Câu truy vấn đã bị hủy."),
            ExecErrorKind::ResultTooLarge => write!(
                f,
                "Kết quả quá lớn ({d}). Hãy chọn ít cột hơn hoặc đặt LIMIT nhỏ hơn."
            ),
            ExecErrorKind::Engine => write!(
                f,
                "Bộ máy truy vấn không chạy được câu lệnh này. Hãy kiểm tra lại kiểu dữ liệu của \
                 các cột, GROUP BY và các phép nối."
            ),
        }
    }
}

impl std::error::Error for ExecError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_engine_text_is_in_the_detail_only() {
        let e = ExecError::engine("cannot compare string with numeric type (i64)");
        assert!(!e.to_string().contains("cannot compare"), "{e}");
        assert!(e.detail().contains("cannot compare"), "{}", e.detail());
        let t = ExecError::timeout(Duration::from_millis(2500));
        assert_eq!(t.kind.code(), "timeout");
        assert!(t.to_string().contains("2,5 giây"), "{t}");
        let b = ExecError::budget("quá nhiều dòng");
        assert_eq!(b.detail(), b.to_string());
    }
}
