//! Tasks (issue 9) as they cross the wire: the draft of a command shown for confirmation, the
//! confirmed form, the task board and its filters, and progress updates.

use serde::{Deserialize, Serialize};

/// Task statuses (`nhiem_vu.trang_thai`), in workflow order.
pub const STATUSES: [&str; 4] = ["moi", "dang_thuc_hien", "hoan_thanh", "huy"];
/// Action types (`nhiem_vu.loai_hanh_dong`).
pub const ACTIONS: [&str; 6] = [
    "ra_soat",
    "bao_cao",
    "xu_ly",
    "kiem_tra",
    "doi_chieu",
    "khac",
];

/// A unit a task may be assigned to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitChoice {
    /// `don_vi.ma`.
    pub ma: String,
    pub ten: String,
}

/// The draft of a command, shown for confirmation: the form as drafted (every field editable)
/// and what the linked records are.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Draft {
    pub form: TaskForm,
    /// What the linked records are, and how many the scope selects for the first unit.
    pub scope_mo_ta: Option<String>,
    pub linked: usize,
}

/// A confirmed draft (the form of the confirmation step). The linked records are selected
/// again on the server from the command, for each unit, in the caller's scope: no id or SQL
/// from the browser is trusted.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TaskForm {
    /// The command verbatim.
    pub command: String,
    /// Assignee unit codes (several for "các tỉnh miền Tây": one task each).
    pub units: Vec<String>,
    pub loai_hanh_dong: String,
    pub tieu_de: String,
    /// ISO date.
    pub han_hoan_thanh: String,
    pub so_luong: Option<u32>,
    /// Keep at most this many linked records (the first of the ordered selection); `None`: all.
    pub max_linked: Option<usize>,
}

/// What a confirmation stored: one task per unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Created {
    pub ids: Vec<i64>,
    /// Linked records stored per task.
    pub linked: Vec<usize>,
}

/// One task on the board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRow {
    pub id: i64,
    pub tieu_de: String,
    pub loai_hanh_dong: String,
    pub don_vi_ma: String,
    pub don_vi_ten: String,
    pub ma_tinh: String,
    /// ISO dates.
    pub ngay_giao: String,
    pub han_hoan_thanh: String,
    pub trang_thai: String,
    /// Progress the assignee reported, 0..100.
    pub tien_do: i64,
    pub so_luong: Option<i64>,
    /// Linked records; those whose status at assignment is known (tasks assigned here; not
    /// the imported ones) and how many of these changed status since.
    pub linked: i64,
    pub tracked: i64,
    pub moved: i64,
    /// Open and past its deadline (QH15).
    pub overdue: bool,
    pub cau_hoi_goc: String,
    /// The comment of the latest update.
    pub ghi_chu: Option<String>,
}

impl TaskRow {
    /// Progress computed from the data: the share of linked records that moved, in percent.
    pub fn moved_percent(&self) -> Option<i64> {
        (self.tracked > 0).then(|| self.moved * 100 / self.tracked)
    }
}

/// One status or progress update with its comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskNote {
    /// RFC 3339 UTC.
    pub at: String,
    pub actor: String,
    pub trang_thai: String,
    pub tien_do: i64,
    pub ghi_chu: String,
}

/// Filters of the board (`/nhiem-vu?don_vi=T01&trang_thai=moi&han=2026-12-31&qua_han=1`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TaskQuery {
    /// `don_vi.ma`; a province code `T01` also matches its regional offices.
    pub don_vi: Option<String>,
    pub trang_thai: Option<String>,
    /// Deadline on or before this ISO date.
    pub han: Option<String>,
    /// Only overdue tasks.
    pub qua_han: bool,
}

impl TaskQuery {
    /// Reads the filters from a query map (empty values are no filter).
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> TaskQuery {
        let text = |k: &str| {
            get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        TaskQuery {
            don_vi: text("don_vi"),
            trang_thai: text("trang_thai"),
            han: text("han"),
            qua_han: text("qua_han").is_some_and(|v| v == "1" || v == "true"),
        }
    }
}

/// The board: the tasks in the caller's scope that match the filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskBoard {
    /// ISO as-of date (what "overdue" is measured against).
    pub as_of: String,
    pub rows: Vec<TaskRow>,
    /// Units of the filter select (those in scope that have tasks).
    pub units: Vec<UnitChoice>,
    /// Whether the caller may update these tasks.
    pub may_update: bool,
}

/// A status/progress update from the assignee.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProgressForm {
    pub id: i64,
    pub trang_thai: String,
    pub tien_do: i64,
    pub ghi_chu: String,
}

/// One task with its history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskDetail {
    pub row: TaskRow,
    pub notes: Vec<TaskNote>,
}
