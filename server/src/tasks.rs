//! Tasks (issue 9, DOMAIN.md §8): a confirmed draft of a leader's command becomes a stored,
//! tracked task, pushed live to the assignee and the wall display.
//!
//! - Store: [`create`] writes one `nhiem_vu` row (the command verbatim in `cau_hoi_goc`, the
//!   scope as JSON in `pham_vi`) with its `nhiem_vu_viec` rows in one transaction, plus the
//!   status of every linked record at assignment in `nhiem_vu_ho_so`; [`update`] changes status
//!   and progress and keeps the comment in `nhiem_vu_cap_nhat` (both extra tables are
//!   described in `migrations/20261130210000_tasks.sql`). Progress is also computed from the
//!   data: how many linked records changed status since the assignment (`moved`).
//! - Who: [`Tasks::confirm`] lets national leadership and provincial users assign (a provincial
//!   user only to units of the province); a task is visible to — and updated by — the scopes
//!   that cover its unit ([`sees`]): another province gets 404, the wall display may not write.
//! - Linked records are selected on the server from the command (`queries::nl::task::scope_for`)
//!   for each assignee unit, through the SQL guard in the caller's scope; nothing the browser
//!   sends is run.
//! - Live: every change is published on the change feed (the projection re-reads the rows, so
//!   the wall's open-task counts follow) and as a [`TaskEvent`] that `/api/live` sends as
//!   `event: task` (an `app::wire::dash::TaskItem`) to the streams that see the unit.
//! - Every confirmation and update is audited (`task`), refusals too.
//!
//! HTTP: `GET /api/tasks?don_vi=&trang_thai=&han=&qua_han=` (the board), `POST /api/tasks`
//! (a [`TaskForm`], 201 with [`Created`]), `GET /api/tasks/units`, `GET /api/tasks/{id}`,
//! `POST /api/tasks/{id}/progress` (`trang_thai`, `tien_do`, `ghi_chu`). The `/nhiem-vu` page and the
//! confirmation step of `/hoi-dap` use the same service through `app::pages::tasks::TaskService`.

use crate::ask::FramesRunner;
use crate::audit::{self, action, outcome, AuditEntry};
use crate::feed::{ChangeSet, Feed};
use crate::projection::Projection;
use crate::rate::RateLimit;
use crate::store::Store;
use app::error::AppError;
use app::ssr::BoxFuture;
use app::wire::dash::TaskItem;
use app::wire::tasks::{
    Created, Draft, ProgressForm, TaskBoard, TaskDetail, TaskForm, TaskNote, TaskQuery, TaskRow,
    UnitChoice, ACTIONS, STATUSES,
};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::NaiveDate;
use queries::access::User;
use queries::frames::Frames;
use queries::nl::ask::{Runner, TaskJson, MAX_TASK_IDS};
use queries::nl::link::link;
use queries::nl::normalize::Text;
use queries::nl::task::scope_for;
use queries::schema::Table;
use queries::sql::{Cancel, Limits};
use queries::{org, Scope};
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::broadcast;

/// Longest title, in characters.
pub const MAX_TITLE: usize = 200;
/// Longest comment, in characters.
pub const MAX_COMMENT: usize = 2000;
/// Tasks listed on one board.
pub const MAX_ROWS: usize = 500;
/// Longest command, in characters (it is stored with each task it creates).
pub const MAX_COMMAND: usize = 1000;
/// Confirmed commands per user in [`CONFIRM_WINDOW`] (each may create a task per unit).
pub const CONFIRMS_PER_WINDOW: usize = 20;
/// The window of [`CONFIRMS_PER_WINDOW`].
pub const CONFIRM_WINDOW: std::time::Duration = std::time::Duration::from_secs(10 * 60);
/// Task events buffered per live stream before it lags (a lagging stream skips them).
const BUS_CAPACITY: usize = 256;

/// Why a task action is refused.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("Không tìm thấy nhiệm vụ.")]
    NotFound,
    #[error("Chưa có dữ liệu để giao nhiệm vụ.")]
    NoData,
    #[error("Bạn đã giao quá nhiều nhiệm vụ trong thời gian ngắn; vui lòng thử lại sau {0} giây.")]
    RateLimited(u64),
    #[error(transparent)]
    Store(#[from] crate::store::Error),
}

impl From<sqlx::Error> for TaskError {
    fn from(e: sqlx::Error) -> Self {
        TaskError::Store(e.into())
    }
}

impl TaskError {
    fn status(&self) -> StatusCode {
        match self {
            TaskError::Invalid(_) => StatusCode::BAD_REQUEST,
            TaskError::Forbidden(_) => StatusCode::FORBIDDEN,
            TaskError::NotFound => StatusCode::NOT_FOUND,
            TaskError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            TaskError::NoData | TaskError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn app_error(&self) -> AppError {
        match self {
            TaskError::Invalid(m) => AppError::Invalid(m.clone()),
            TaskError::Forbidden(m) => AppError::Forbidden(m.clone()),
            TaskError::NotFound => AppError::NotFound,
            TaskError::RateLimited(_) => AppError::RateLimited(self.to_string()),
            TaskError::NoData | TaskError::Store(_) => AppError::Unavailable,
        }
    }
}

impl IntoResponse for TaskError {
    fn into_response(self) -> Response {
        if let TaskError::Store(e) = &self {
            tracing::error!(error = %e, "task store");
        }
        (self.status(), Json(json!({ "error": self.to_string() }))).into_response()
    }
}

/// Who changes a task: a signed-in user, or the command line.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: Option<User>,
    pub scope: Scope,
    pub address: String,
}

impl Actor {
    /// The command line, acting in `scope`.
    pub fn cli(scope: Scope) -> Actor {
        Actor {
            user: None,
            scope,
            address: String::new(),
        }
    }

    fn login(&self) -> String {
        self.user
            .as_ref()
            .map_or_else(|| "cli".to_owned(), |u| u.login.clone())
    }

    fn entry(&self, outcome: &str, detail: Value) -> AuditEntry {
        let e = AuditEntry::new(action::TASK, outcome)
            .from(&self.address)
            .detail(detail);
        match &self.user {
            Some(u) => e.by(u),
            None => e.actor("cli"),
        }
    }

    fn may_write(&self) -> bool {
        self.user.as_ref().is_none_or(User::may_write) && self.scope != Scope::Kiosk
    }
}

/// A task change, as `/api/live` streams it.
#[derive(Debug, Clone)]
pub struct TaskEvent {
    pub item: TaskItem,
    pub ma_tinh: String,
    pub don_vi_id: i64,
}

impl TaskEvent {
    /// Whether a stream of `scope` sees this task.
    pub fn seen_by(&self, scope: &Scope) -> bool {
        scope.covers(&self.ma_tinh, self.don_vi_id)
    }
}

/// The units `scope` may assign tasks to: every province for the country, the province and
/// its regional offices for a province; none below.
pub fn unit_choices(scope: &Scope) -> Vec<UnitChoice> {
    let choice = |ma: String, ten: String| UnitChoice { ma, ten };
    match scope {
        Scope::National => org::PROVINCES
            .iter()
            .map(|p| choice(p.unit_code(), p.unit_name()))
            .collect(),
        Scope::Province { ma_tinh } => org::province(ma_tinh)
            .map(|p| {
                std::iter::once(choice(p.unit_code(), p.unit_name()))
                    .chain(
                        (1..=p.so_phong_kv)
                            .map(|n| choice(p.regional_office_code(n), p.regional_office_name(n))),
                    )
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// The province of a unit code (`T01`, `T01-KV03`) that exists, with the unit's name.
fn known_unit(ma: &str) -> Option<(String, String)> {
    let code = ma.strip_prefix('T')?.get(..2)?;
    let p = org::province(code)?;
    if ma == p.unit_code() {
        return Some((code.to_owned(), p.unit_name()));
    }
    let n: u32 = ma.strip_prefix(&format!("T{code}-KV"))?.parse().ok()?;
    (1..=p.so_phong_kv)
        .contains(&n)
        .then(|| (code.to_owned(), p.regional_office_name(n)))
        .filter(|_| p.regional_office_code(n) == ma)
}

/// The draft of a command as the confirmation form shows it.
pub fn draft_of(task: &TaskJson) -> Draft {
    let units = match &task.don_vi_ma {
        Value::Array(v) => v
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        Value::String(s) => vec![s.clone()],
        _ => Vec::new(),
    };
    Draft {
        form: TaskForm {
            command: task.cau_hoi_goc.clone(),
            units,
            loai_hanh_dong: task.loai_hanh_dong.clone(),
            tieu_de: task.tieu_de.clone(),
            han_hoan_thanh: task.han_hoan_thanh.clone(),
            so_luong: task.so_luong,
            max_linked: None,
        },
        scope_mo_ta: task.scope_mo_ta.clone(),
        linked: task.scope_ids.len(),
    }
}

/// One task ready to store.
#[derive(Debug, Clone)]
pub struct NewTask {
    pub don_vi_ma: String,
    pub loai_hanh_dong: String,
    pub tieu_de: String,
    pub ngay_giao: NaiveDate,
    pub han_hoan_thanh: NaiveDate,
    pub so_luong: Option<u32>,
    /// `viec_thi_hanh`, `don_thu` or `quyet_dinh`, with its description and SQL.
    pub doi_tuong: Option<String>,
    pub mo_ta: Option<String>,
    pub sql: Option<String>,
    pub ids: Vec<i64>,
    pub cau_hoi_goc: String,
}

/// Checks a form and selects, for each unit, the linked records in `scope` on `frames`.
///
/// # Errors
/// [`TaskError::Invalid`] for a bad field, [`TaskError::Forbidden`] for a unit or a caller
/// that may not assign.
pub fn prepare(
    form: &TaskForm,
    scope: &Scope,
    frames: &Frames,
    as_of: NaiveDate,
    budget: &Limits,
    cancel: &Cancel,
) -> Result<Vec<NewTask>, TaskError> {
    if !matches!(scope, Scope::National | Scope::Province { .. }) {
        return Err(TaskError::Forbidden(
            "Chỉ lãnh đạo, chuyên viên cấp Cục và cấp tỉnh được giao nhiệm vụ.".into(),
        ));
    }
    let title: String = form.tieu_de.trim().chars().collect();
    if title.is_empty() || title.chars().count() > MAX_TITLE {
        return Err(TaskError::Invalid(format!(
            "Tiêu đề phải có từ 1 đến {MAX_TITLE} ký tự."
        )));
    }
    if !ACTIONS.contains(&form.loai_hanh_dong.as_str()) {
        return Err(TaskError::Invalid("Loại hành động không hợp lệ.".into()));
    }
    let han = app::text::parse_date(&form.han_hoan_thanh)
        .and_then(|iso| NaiveDate::parse_from_str(&iso, "%Y-%m-%d").ok())
        .ok_or_else(|| {
            TaskError::Invalid("Hạn hoàn thành không hợp lệ (ngày/tháng/năm).".into())
        })?;
    if han < as_of {
        return Err(TaskError::Invalid(format!(
            "Hạn hoàn thành {} đã qua (số liệu đến ngày {}).",
            han.format("%d/%m/%Y"),
            as_of.format("%d/%m/%Y")
        )));
    }
    if form.command.chars().count() > MAX_COMMAND {
        return Err(TaskError::Invalid(format!(
            "Câu lệnh giao việc dài quá {MAX_COMMAND} ký tự."
        )));
    }
    if form.so_luong == Some(0) {
        return Err(TaskError::Invalid("Số lượng phải lớn hơn 0.".into()));
    }
    let mut units: Vec<&str> = form.units.iter().map(|u| u.trim()).collect();
    units.sort_unstable();
    units.dedup();
    if units.is_empty() || units.len() > 34 {
        return Err(TaskError::Invalid("Hãy chọn đơn vị được giao.".into()));
    }
    let text = Text::new(&form.command);
    let linked = link(&text, scope, as_of);
    let runner = FramesRunner {
        frames,
        scope,
        budget,
        cancel,
    };
    let mut out = Vec::new();
    for ma in units {
        let (ma_tinh, _) =
            known_unit(ma).ok_or_else(|| TaskError::Invalid(format!("Không có đơn vị {ma}.")))?;
        if !scope.may_see_province(&ma_tinh) {
            return Err(TaskError::Forbidden(format!(
                "Bạn không được giao nhiệm vụ cho {ma}: đơn vị ngoài phạm vi của bạn."
            )));
        }
        let records = scope_for(&text, &linked, ma, form.so_luong, as_of);
        let ids = match &records {
            Some(r) => {
                let (_, table) = runner.run(&r.sql, MAX_TASK_IDS).map_err(|e| {
                    // The engine's text is for the log; the user gets what to do.
                    tracing::warn!(error = %e, sql = %r.sql, "task record selection");
                    TaskError::Invalid(
                        "Không lấy được danh sách hồ sơ cho nhiệm vụ này; hãy nêu rõ hơn \
                         loại hồ sơ và điều kiện, hoặc bỏ phần hồ sơ liên kết."
                            .into(),
                    )
                })?;
                let mut ids: Vec<i64> = table
                    .rows
                    .iter()
                    .filter_map(|row| row.first().and_then(Value::as_i64))
                    .collect();
                if let Some(n) = form.max_linked {
                    ids.truncate(n);
                }
                ids
            }
            None => Vec::new(),
        };
        out.push(NewTask {
            don_vi_ma: ma.to_owned(),
            loai_hanh_dong: form.loai_hanh_dong.clone(),
            tieu_de: title.clone(),
            ngay_giao: as_of,
            han_hoan_thanh: han,
            so_luong: form.so_luong,
            doi_tuong: records.as_ref().map(|r| r.doi_tuong.clone()),
            mo_ta: records.as_ref().map(|r| r.mo_ta.clone()),
            sql: records.map(|r| r.sql),
            ids,
            cau_hoi_goc: form.command.trim().to_owned(),
        });
    }
    Ok(out)
}

/// Runs `$body` with `$tx` a transaction on whichever pool `$store` holds. `$body` gives
/// `(value, ChangeSet)`: the change set goes to the change log in the same transaction, and
/// the value is the macro's. SQLite takes the write lock up front, PostgreSQL locks `nhiem_vu`
/// so `MAX(id) + 1` ids are safe.
macro_rules! in_tx {
    ($store:expr, $tx:ident => $body:expr) => {
        match $store {
            Store::Sqlite(pool) => {
                let mut $tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let (out, changes) = $body;
                crate::feed::record_sqlite(&mut $tx, &changes).await?;
                $tx.commit().await?;
                out
            }
            Store::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                // PostgreSQL-only: serialises task writes (readers are not blocked).
                sqlx::query("LOCK TABLE nhiem_vu IN EXCLUSIVE MODE")
                    .execute(&mut *$tx)
                    .await?;
                let (out, changes) = $body;
                crate::feed::record_pg(&mut $tx, &changes).await?;
                $tx.commit().await?;
                out
            }
        }
    };
}

/// Comma-separated integers for an `IN (…)` list (never user text).
fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// The status column each kind of linked record is tracked by.
fn status_column(table: &str) -> Option<&'static str> {
    match table {
        "viec_thi_hanh" | "don_thu" => Some("trang_thai"),
        "quyet_dinh" => Some("CAST(ky_so AS TEXT)"),
        _ => None,
    }
}

/// Stores `task` in one transaction; returns its id.
///
/// # Errors
/// [`TaskError::Invalid`] for an unknown unit, or the store's error.
pub async fn create(store: &Store, task: &NewTask) -> Result<i64, TaskError> {
    let pham_vi = json!({
        "doi_tuong": task.doi_tuong,
        "mo_ta": task.mo_ta,
        "sql": task.sql,
        "so_ho_so": task.ids.len(),
    })
    .to_string();
    let noi_dung = match &task.mo_ta {
        Some(m) => format!("{}. Phạm vi: {m} ({} hồ sơ).", task.tieu_de, task.ids.len()),
        None => task.tieu_de.clone(),
    };
    let so_luong = task.so_luong.map(i64::from);
    let table = task.doi_tuong.as_deref().unwrap_or("");
    let status = status_column(table);
    let id = in_tx!(store, tx => {
        let unit: Option<(i64,)> =
            sqlx::query_as("SELECT CAST(id AS BIGINT) FROM don_vi WHERE ma = $1")
                .bind(&task.don_vi_ma)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((don_vi_id,)) = unit else {
            return Err(TaskError::Invalid(format!("Không có đơn vị {}.", task.don_vi_ma)));
        };
        let (id,): (i64,) =
            sqlx::query_as("SELECT CAST(COALESCE(MAX(id), 0) + 1 AS BIGINT) FROM nhiem_vu")
                .fetch_one(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO nhiem_vu (id, tieu_de, noi_dung, loai_hanh_dong, don_vi_id, nguoi_giao_id, \
             ngay_giao, han_hoan_thanh, trang_thai, tien_do, ngay_hoan_thanh, so_luong, pham_vi, cau_hoi_goc) \
             VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, 'moi', 0, NULL, $8, $9, $10)",
        )
        .bind(id)
        .bind(&task.tieu_de)
        .bind(&noi_dung)
        .bind(&task.loai_hanh_dong)
        .bind(don_vi_id)
        .bind(task.ngay_giao)
        .bind(task.han_hoan_thanh)
        .bind(so_luong)
        .bind(&pham_vi)
        .bind(&task.cau_hoi_goc)
        .execute(&mut *tx)
        .await?;
        if let Some(status) = status {
            for chunk in task.ids.chunks(500) {
                let list = id_list(chunk);
                // `table` and `status` come from the fixed lists above, the ids are integers.
                sqlx::query(&format!(
                    "INSERT INTO nhiem_vu_ho_so (nhiem_vu_id, bang, ho_so_id, trang_thai_giao) \
                     SELECT {id}, '{table}', id, {status} FROM {table} WHERE id IN ({list})"
                ))
                .execute(&mut *tx)
                .await?;
                if table == "viec_thi_hanh" {
                    sqlx::query(&format!(
                        "INSERT INTO nhiem_vu_viec (nhiem_vu_id, viec_id) \
                         SELECT {id}, id FROM viec_thi_hanh WHERE id IN ({list})"
                    ))
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        // `nhiem_vu_viec` has no `id` to re-read by: its frame follows at the next full
        // reload (no KPI reads it).
        (id, ChangeSet::of(Table::NhiemVu, id))
    });
    Ok(id)
}

/// The columns of a [`TaskRow`], with the linked and moved counts computed from the data.
const ROW_SQL: &str = "SELECT CAST(n.id AS BIGINT) AS id, n.tieu_de, n.loai_hanh_dong, \
     u.ma AS don_vi_ma, u.ten AS don_vi_ten, COALESCE(u.ma_tinh, '') AS ma_tinh, \
     CAST(n.don_vi_id AS BIGINT) AS don_vi_id, n.ngay_giao, n.han_hoan_thanh, n.trang_thai, \
     CAST(n.tien_do AS BIGINT) AS tien_do, CAST(n.so_luong AS BIGINT) AS so_luong, \
     COALESCE(n.cau_hoi_goc, '') AS cau_hoi_goc, \
     (SELECT c.ghi_chu FROM nhiem_vu_cap_nhat c WHERE c.nhiem_vu_id = n.id ORDER BY c.id DESC LIMIT 1) AS ghi_chu, \
     CAST((SELECT COUNT(*) FROM nhiem_vu_viec x WHERE x.nhiem_vu_id = n.id) \
        + (SELECT COUNT(*) FROM nhiem_vu_ho_so h WHERE h.nhiem_vu_id = n.id AND h.bang <> 'viec_thi_hanh') AS BIGINT) AS linked, \
     CAST((SELECT COUNT(*) FROM nhiem_vu_ho_so h WHERE h.nhiem_vu_id = n.id) AS BIGINT) AS tracked, \
     CAST((SELECT COUNT(*) FROM nhiem_vu_ho_so h JOIN viec_thi_hanh v ON v.id = h.ho_so_id \
            WHERE h.nhiem_vu_id = n.id AND h.bang = 'viec_thi_hanh' AND v.trang_thai <> h.trang_thai_giao) \
        + (SELECT COUNT(*) FROM nhiem_vu_ho_so h JOIN don_thu d ON d.id = h.ho_so_id \
            WHERE h.nhiem_vu_id = n.id AND h.bang = 'don_thu' AND d.trang_thai <> h.trang_thai_giao) \
        + (SELECT COUNT(*) FROM nhiem_vu_ho_so h JOIN quyet_dinh q ON q.id = h.ho_so_id \
            WHERE h.nhiem_vu_id = n.id AND h.bang = 'quyet_dinh' AND CAST(q.ky_so AS TEXT) <> h.trang_thai_giao) AS BIGINT) AS moved \
     FROM nhiem_vu n JOIN don_vi u ON u.id = n.don_vi_id";

#[derive(Debug, sqlx::FromRow)]
struct Stored {
    id: i64,
    tieu_de: String,
    loai_hanh_dong: String,
    don_vi_ma: String,
    don_vi_ten: String,
    ma_tinh: String,
    don_vi_id: i64,
    ngay_giao: NaiveDate,
    han_hoan_thanh: NaiveDate,
    trang_thai: String,
    tien_do: i64,
    so_luong: Option<i64>,
    cau_hoi_goc: String,
    ghi_chu: Option<String>,
    linked: i64,
    tracked: i64,
    moved: i64,
}

impl Stored {
    fn row(self, as_of: NaiveDate) -> (TaskRow, i64) {
        let open = matches!(self.trang_thai.as_str(), "moi" | "dang_thuc_hien");
        (
            TaskRow {
                id: self.id,
                tieu_de: self.tieu_de,
                loai_hanh_dong: self.loai_hanh_dong,
                don_vi_ma: self.don_vi_ma,
                don_vi_ten: self.don_vi_ten,
                ma_tinh: self.ma_tinh,
                ngay_giao: self.ngay_giao.to_string(),
                han_hoan_thanh: self.han_hoan_thanh.to_string(),
                overdue: open && self.han_hoan_thanh < as_of,
                trang_thai: self.trang_thai,
                tien_do: self.tien_do,
                so_luong: self.so_luong,
                linked: self.linked,
                tracked: self.tracked,
                moved: self.moved,
                cau_hoi_goc: self.cau_hoi_goc,
                ghi_chu: self.ghi_chu.filter(|c| !c.is_empty()),
            },
            self.don_vi_id,
        )
    }
}

/// The scope condition on `n`/`u` and its one parameter.
fn scope_filter(scope: &Scope) -> (String, Option<Value>) {
    match scope {
        Scope::National | Scope::Kiosk => (String::new(), None),
        Scope::Province { ma_tinh } => (
            " WHERE u.ma_tinh = $1".into(),
            Some(Value::from(ma_tinh.clone())),
        ),
        Scope::Office { don_vi_id, .. } | Scope::Officer { don_vi_id, .. } => (
            " WHERE n.don_vi_id = $1".into(),
            Some(Value::from(*don_vi_id)),
        ),
    }
}

async fn fetch(store: &Store, sql: &str, arg: Option<Value>) -> Result<Vec<Stored>, TaskError> {
    macro_rules! run {
        ($pool:expr) => {{
            let q = sqlx::query_as::<_, Stored>(sql);
            let q = match arg {
                Some(Value::String(s)) => q.bind(s),
                Some(v) => q.bind(v.as_i64()),
                None => q,
            };
            q.fetch_all($pool).await?
        }};
    }
    Ok(match store {
        Store::Sqlite(pool) => run!(pool),
        Store::Postgres(pool) => run!(pool),
    })
}

/// The tasks `scope` sees, earliest deadline first (at most [`MAX_ROWS`]), with their units.
///
/// # Errors
/// The store's error.
pub async fn list(
    store: &Store,
    scope: &Scope,
    as_of: NaiveDate,
) -> Result<Vec<(TaskRow, i64)>, TaskError> {
    let (cond, arg) = scope_filter(scope);
    let sql = format!(
        "{ROW_SQL}{cond} ORDER BY CASE WHEN n.trang_thai IN ('moi', 'dang_thuc_hien') THEN 0 ELSE 1 END, \
         n.han_hoan_thanh, n.id LIMIT {MAX_ROWS}"
    );
    Ok(fetch(store, &sql, arg)
        .await?
        .into_iter()
        .map(|s| s.row(as_of))
        .collect())
}

/// Task `id` with its unit id, if it exists and `scope` sees it (else `None`: another
/// province's task is not found, not forbidden).
///
/// # Errors
/// The store's error.
pub async fn find(
    store: &Store,
    scope: &Scope,
    id: i64,
    as_of: NaiveDate,
) -> Result<Option<(TaskRow, i64)>, TaskError> {
    let sql = format!("{ROW_SQL} WHERE n.id = $1");
    let found = fetch(store, &sql, Some(Value::from(id))).await?;
    Ok(found
        .into_iter()
        .map(|s| s.row(as_of))
        .find(|(row, unit)| scope.covers(&row.ma_tinh, *unit)))
}

#[derive(Debug, sqlx::FromRow)]
struct StoredNote {
    at: String,
    actor: String,
    trang_thai: String,
    tien_do: i64,
    ghi_chu: String,
}

/// The updates of task `id`, oldest first.
///
/// # Errors
/// The store's error.
pub async fn notes(store: &Store, id: i64) -> Result<Vec<TaskNote>, TaskError> {
    const SQL: &str = "SELECT at, actor, trang_thai, CAST(tien_do AS BIGINT) AS tien_do, ghi_chu \
                       FROM nhiem_vu_cap_nhat WHERE nhiem_vu_id = $1 ORDER BY id";
    let rows: Vec<StoredNote> = match store {
        Store::Sqlite(pool) => sqlx::query_as(SQL).bind(id).fetch_all(pool).await?,
        Store::Postgres(pool) => sqlx::query_as(SQL).bind(id).fetch_all(pool).await?,
    };
    Ok(rows
        .into_iter()
        .map(|n| TaskNote {
            at: n.at,
            actor: n.actor,
            trang_thai: n.trang_thai,
            tien_do: n.tien_do,
            ghi_chu: n.ghi_chu,
        })
        .collect())
}

/// Checks an update against the current status.
fn check_update(form: &ProgressForm) -> Result<(), TaskError> {
    if !STATUSES.contains(&form.trang_thai.as_str()) {
        return Err(TaskError::Invalid("Trạng thái không hợp lệ.".into()));
    }
    if !(0..=100).contains(&form.tien_do) {
        return Err(TaskError::Invalid("Tiến độ phải từ 0 đến 100%.".into()));
    }
    if form.ghi_chu.chars().count() > MAX_COMMENT {
        return Err(TaskError::Invalid(format!(
            "Ghi chú dài quá {MAX_COMMENT} ký tự."
        )));
    }
    Ok(())
}

/// Writes an update of a task (already checked visible) with its comment, in one transaction.
///
/// # Errors
/// The store's error.
pub async fn update(
    store: &Store,
    form: &ProgressForm,
    actor: &Actor,
    as_of: NaiveDate,
) -> Result<(), TaskError> {
    let done = form.trang_thai == "hoan_thanh";
    let tien_do = if done { 100 } else { form.tien_do };
    let finished = done.then_some(as_of);
    let at = audit::timestamp(chrono::Utc::now());
    let user_id = actor.user.as_ref().map(|u| u.id);
    let login = actor.login();
    let comment = form.ghi_chu.trim().to_owned();
    in_tx!(store, tx => {
        sqlx::query(
            "UPDATE nhiem_vu SET trang_thai = $1, tien_do = $2, ngay_hoan_thanh = $3 WHERE id = $4",
        )
        .bind(&form.trang_thai)
        .bind(tien_do)
        .bind(finished)
        .bind(form.id)
        .execute(&mut *tx)
        .await?;
        let (next,): (i64,) = sqlx::query_as(
            "SELECT CAST(COALESCE(MAX(id), 0) + 1 AS BIGINT) FROM nhiem_vu_cap_nhat",
        )
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO nhiem_vu_cap_nhat (id, nhiem_vu_id, user_id, actor, at, trang_thai, tien_do, ghi_chu) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(next)
        .bind(form.id)
        .bind(user_id)
        .bind(&login)
        .bind(&at)
        .bind(&form.trang_thai)
        .bind(tien_do)
        .bind(&comment)
        .execute(&mut *tx)
        .await?;
        ((), ChangeSet::of(Table::NhiemVu, form.id))
    });
    Ok(())
}

/// Stores the tasks of a confirmed form that [`prepare`] checked (or refused), audits it and
/// returns what was stored with the rows (for the live push). The caller publishes.
///
/// # Errors
/// The refusal of [`prepare`] (audited) or the store's error.
pub async fn confirm_prepared(
    store: &Store,
    as_of: NaiveDate,
    actor: &Actor,
    form: &TaskForm,
    prepared: Result<Vec<NewTask>, TaskError>,
) -> Result<(Created, Vec<(TaskRow, i64)>), TaskError> {
    let prepared = if actor.may_write() {
        prepared
    } else {
        Err(TaskError::Forbidden(
            "Màn hình điều hành chỉ được xem.".into(),
        ))
    };
    let tasks = match prepared {
        Ok(t) => t,
        Err(e) => {
            let refused = match e {
                TaskError::Forbidden(_) => outcome::DENIED,
                _ => outcome::FAILED,
            };
            audit::record_or_log(
                store,
                &actor.entry(
                    refused,
                    json!({"op": "create", "units": form.units, "command": form.command, "error": e.to_string()}),
                ),
            )
            .await;
            return Err(e);
        }
    };
    let mut created = Created {
        ids: Vec::new(),
        linked: Vec::new(),
    };
    let mut rows = Vec::new();
    for task in &tasks {
        let id = create(store, task).await?;
        audit::record_or_log(
            store,
            &actor.entry(
                outcome::OK,
                json!({
                    "op": "create", "id": id, "don_vi": task.don_vi_ma, "tieu_de": task.tieu_de,
                    "han": task.han_hoan_thanh, "linked": task.ids.len(), "command": task.cau_hoi_goc,
                }),
            ),
        )
        .await;
        created.ids.push(id);
        created.linked.push(task.ids.len());
        if let Some(row) = find(store, &Scope::National, id, as_of).await? {
            rows.push(row);
        }
    }
    Ok((created, rows))
}

/// The tasks service of a running server: the store, the projection (frames and as-of date),
/// the change feed and the live bus.
#[derive(Clone)]
pub struct Tasks {
    store: Store,
    projection: Projection,
    feed: Feed,
    /// The budget of the record selections.
    budget: Limits,
    bus: broadcast::Sender<Arc<TaskEvent>>,
    confirms: Arc<RateLimit>,
}

impl Tasks {
    /// The service over a running server's parts; record selections run under `budget`.
    pub fn new(store: Store, projection: Projection, feed: Feed, budget: Limits) -> Tasks {
        Tasks {
            store,
            projection,
            feed,
            budget,
            bus: broadcast::channel(BUS_CAPACITY).0,
            confirms: Arc::new(RateLimit::new(CONFIRMS_PER_WINDOW, CONFIRM_WINDOW)),
        }
    }

    /// Task changes from now on (for `/api/live`).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<TaskEvent>> {
        self.bus.subscribe()
    }

    fn as_of(&self) -> Result<NaiveDate, TaskError> {
        self.projection
            .with_frames(|_, as_of| as_of)
            .ok()
            .flatten()
            .ok_or(TaskError::NoData)
    }

    /// Announces stored changes (already in the change log): wakes the projection and pushes
    /// each task to the live bus.
    fn publish(&self, rows: &[(TaskRow, i64)]) {
        for (row, unit) in rows {
            let event = TaskEvent {
                item: TaskItem {
                    id: row.id,
                    title: row.tieu_de.clone(),
                    unit: row.don_vi_ten.clone(),
                    due: row.han_hoan_thanh.clone(),
                    progress: row.tien_do,
                    overdue: row.overdue,
                },
                ma_tinh: row.ma_tinh.clone(),
                don_vi_id: *unit,
            };
            // No live stream open is not an error.
            let _ = self.bus.send(Arc::new(event));
        }
        self.feed.wake();
    }

    /// Confirms a draft: stores one task per unit, audits, publishes.
    ///
    /// # Errors
    /// See [`prepare`] and [`create`].
    pub async fn confirm(&self, actor: &Actor, form: &TaskForm) -> Result<Created, TaskError> {
        if let Some(user) = &actor.user {
            self.confirms
                .take(user.id)
                .map_err(|wait| TaskError::RateLimited(wait.seconds()))?;
        }
        let (frames, as_of) = self
            .projection
            .with_frames(|f, as_of| (f.clone(), as_of))
            .map_err(|_| TaskError::NoData)?;
        let as_of = as_of.ok_or(TaskError::NoData)?;
        let (scope, form2, budget) = (actor.scope.clone(), form.clone(), self.budget);
        // The guard and Polars run on a blocking thread; a client that goes away stops them.
        let cancel = Cancel::new();
        let _cancel_if_dropped = cancel.on_drop();
        let prepared = tokio::task::spawn_blocking(move || {
            prepare(&form2, &scope, &frames, as_of, &budget, &cancel)
        })
        .await
        .map_err(|_| TaskError::NoData)?;
        let (created, rows) = confirm_prepared(&self.store, as_of, actor, form, prepared).await?;
        self.publish(&rows);
        Ok(created)
    }

    /// The board for `scope` with `query`'s filters.
    ///
    /// # Errors
    /// The store's error.
    pub async fn board(&self, actor: &Actor, query: &TaskQuery) -> Result<TaskBoard, TaskError> {
        let as_of = self.as_of()?;
        let all = list(&self.store, &actor.scope, as_of).await?;
        let mut units: Vec<UnitChoice> = Vec::new();
        for (row, _) in &all {
            if !units.iter().any(|u| u.ma == row.don_vi_ma) {
                units.push(UnitChoice {
                    ma: row.don_vi_ma.clone(),
                    ten: row.don_vi_ten.clone(),
                });
            }
        }
        units.sort_by(|a, b| a.ma.cmp(&b.ma));
        let han = query
            .han
            .as_deref()
            .and_then(|h| NaiveDate::parse_from_str(h, "%Y-%m-%d").ok())
            .map(|d| d.to_string());
        let rows = all
            .into_iter()
            .map(|(row, _)| row)
            .filter(|r| {
                query.don_vi.as_deref().is_none_or(|u| {
                    r.don_vi_ma == u || (u.len() == 3 && r.don_vi_ma.starts_with(&format!("{u}-")))
                })
            })
            .filter(|r| {
                query
                    .trang_thai
                    .as_deref()
                    .is_none_or(|s| r.trang_thai == s)
            })
            .filter(|r| {
                han.as_deref()
                    .is_none_or(|h| r.han_hoan_thanh.as_str() <= h)
            })
            .filter(|r| !query.qua_han || r.overdue)
            .collect();
        Ok(TaskBoard {
            as_of: as_of.to_string(),
            rows,
            units,
            may_update: actor.may_write(),
        })
    }

    /// One task with its updates.
    ///
    /// # Errors
    /// [`TaskError::NotFound`] when it does not exist or is outside the scope.
    pub async fn detail(&self, actor: &Actor, id: i64) -> Result<TaskDetail, TaskError> {
        let as_of = self.as_of()?;
        let (row, _) = find(&self.store, &actor.scope, id, as_of)
            .await?
            .ok_or(TaskError::NotFound)?;
        Ok(TaskDetail {
            notes: notes(&self.store, id).await?,
            row,
        })
    }

    /// Updates status and progress with a comment; audits; publishes.
    ///
    /// # Errors
    /// [`TaskError::NotFound`] outside the scope, [`TaskError::Forbidden`] for the wall display,
    /// [`TaskError::Invalid`] for bad values.
    pub async fn progress(&self, actor: &Actor, form: &ProgressForm) -> Result<TaskRow, TaskError> {
        let as_of = self.as_of()?;
        let checked = if actor.may_write() {
            check_update(form)
        } else {
            Err(TaskError::Forbidden(
                "Màn hình điều hành chỉ được xem.".into(),
            ))
        };
        let found = match checked {
            Ok(()) => find(&self.store, &actor.scope, form.id, as_of)
                .await?
                .ok_or(TaskError::NotFound),
            Err(e) => Err(e),
        };
        if let Err(e) = found {
            let refused = match e {
                TaskError::Forbidden(_) | TaskError::NotFound => outcome::DENIED,
                _ => outcome::FAILED,
            };
            audit::record_or_log(
                &self.store,
                &actor.entry(
                    refused,
                    json!({"op": "update", "id": form.id, "error": e.to_string()}),
                ),
            )
            .await;
            return Err(e);
        }
        update(&self.store, form, actor, as_of).await?;
        audit::record_or_log(
            &self.store,
            &actor.entry(
                outcome::OK,
                json!({"op": "update", "id": form.id, "trang_thai": form.trang_thai,
                       "tien_do": form.tien_do, "ghi_chu": form.ghi_chu}),
            ),
        )
        .await;
        let row = find(&self.store, &Scope::National, form.id, as_of)
            .await?
            .ok_or(TaskError::NotFound)?;
        self.publish(std::slice::from_ref(&row));
        Ok(row.0)
    }
}

impl app::pages::tasks::TaskService for Tasks {
    fn units(&self, caller: app::console::Caller) -> Vec<UnitChoice> {
        unit_choices(&caller.scope)
    }

    fn confirm(
        &self,
        caller: app::console::Caller,
        form: TaskForm,
    ) -> BoxFuture<'_, Result<Created, AppError>> {
        Box::pin(async move {
            Tasks::confirm(self, &actor_of(caller), &form)
                .await
                .map_err(|e| e.app_error())
        })
    }

    fn board(
        &self,
        caller: app::console::Caller,
        query: TaskQuery,
    ) -> BoxFuture<'_, Result<TaskBoard, AppError>> {
        Box::pin(async move {
            Tasks::board(self, &actor_of(caller), &query)
                .await
                .map_err(|e| e.app_error())
        })
    }

    fn detail(
        &self,
        caller: app::console::Caller,
        id: i64,
    ) -> BoxFuture<'_, Result<TaskDetail, AppError>> {
        Box::pin(async move {
            Tasks::detail(self, &actor_of(caller), id)
                .await
                .map_err(|e| e.app_error())
        })
    }

    fn progress(
        &self,
        caller: app::console::Caller,
        form: ProgressForm,
    ) -> BoxFuture<'_, Result<TaskRow, AppError>> {
        Box::pin(async move {
            Tasks::progress(self, &actor_of(caller), &form)
                .await
                .map_err(|e| e.app_error())
        })
    }
}

fn actor_of(caller: app::console::Caller) -> Actor {
    Actor {
        user: Some(caller.user),
        scope: caller.scope,
        address: caller.address,
    }
}

/// The task API routes.
pub fn routes() -> Router<crate::State> {
    Router::new()
        .route("/api/tasks", get(board_get).post(create_post))
        .route("/api/tasks/units", get(units_get))
        .route("/api/tasks/{id}", get(detail_get))
        .route("/api/tasks/{id}/progress", post(progress_post))
}

type Session = (
    Option<Extension<User>>,
    Option<Extension<Scope>>,
    Option<Extension<crate::auth::ClientAddr>>,
);

fn session_actor((user, scope, addr): Session) -> Result<Actor, StatusCode> {
    Ok(Actor {
        user: Some(user.ok_or(StatusCode::UNAUTHORIZED)?.0),
        scope: scope.ok_or(StatusCode::UNAUTHORIZED)?.0,
        address: addr.map(|a| a.0 .0).unwrap_or_default(),
    })
}

async fn board_get(
    State(state): State<crate::State>,
    user: Option<Extension<User>>,
    scope: Option<Extension<Scope>>,
    addr: Option<Extension<crate::auth::ClientAddr>>,
    Query(params): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let query = TaskQuery::from_params(|k| params.get(k).cloned());
    match session_actor((user, scope, addr)) {
        Ok(actor) => match state.tasks.board(&actor, &query).await {
            Ok(board) => Json(board).into_response(),
            Err(e) => e.into_response(),
        },
        Err(code) => code.into_response(),
    }
}

async fn units_get(
    user: Option<Extension<User>>,
    scope: Option<Extension<Scope>>,
    addr: Option<Extension<crate::auth::ClientAddr>>,
) -> Response {
    match session_actor((user, scope, addr)) {
        Ok(actor) => Json(unit_choices(&actor.scope)).into_response(),
        Err(code) => code.into_response(),
    }
}

async fn create_post(
    State(state): State<crate::State>,
    user: Option<Extension<User>>,
    scope: Option<Extension<Scope>>,
    addr: Option<Extension<crate::auth::ClientAddr>>,
    Json(form): Json<TaskForm>,
) -> Response {
    match session_actor((user, scope, addr)) {
        Ok(actor) => match state.tasks.confirm(&actor, &form).await {
            Ok(created) => (StatusCode::CREATED, Json(created)).into_response(),
            Err(e) => e.into_response(),
        },
        Err(code) => code.into_response(),
    }
}

async fn detail_get(
    State(state): State<crate::State>,
    user: Option<Extension<User>>,
    scope: Option<Extension<Scope>>,
    addr: Option<Extension<crate::auth::ClientAddr>>,
    Path(id): Path<i64>,
) -> Response {
    match session_actor((user, scope, addr)) {
        Ok(actor) => match state.tasks.detail(&actor, id).await {
            Ok(d) => Json(d).into_response(),
            Err(e) => e.into_response(),
        },
        Err(code) => code.into_response(),
    }
}

/// The body of `POST /api/tasks/{id}/progress`.
#[derive(Debug, serde::Deserialize)]
struct ProgressBody {
    trang_thai: String,
    tien_do: i64,
    #[serde(default)]
    ghi_chu: String,
}

async fn progress_post(
    State(state): State<crate::State>,
    user: Option<Extension<User>>,
    scope: Option<Extension<Scope>>,
    addr: Option<Extension<crate::auth::ClientAddr>>,
    Path(id): Path<i64>,
    Json(body): Json<ProgressBody>,
) -> Response {
    let form = ProgressForm {
        id,
        trang_thai: body.trang_thai,
        tien_do: body.tien_do,
        ghi_chu: body.ghi_chu,
    };
    match session_actor((user, scope, addr)) {
        Ok(actor) => match state.tasks.progress(&actor, &form).await {
            Ok(row) => Json(row).into_response(),
            Err(e) => e.into_response(),
        },
        Err(code) => code.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_checked_against_the_organisation() {
        assert_eq!(known_unit("T01").map(|u| u.0), Some("01".into()));
        assert_eq!(known_unit("T79-KV05").map(|u| u.0), Some("79".into()));
        assert!(known_unit("T79-KV5").is_none());
        assert!(known_unit("T01-KV99").is_none());
        assert!(known_unit("T99").is_none());
        assert!(known_unit("CUC").is_none());
    }

    #[test]
    fn units_to_assign_follow_the_scope() {
        let hn = Scope::Province {
            ma_tinh: "01".into(),
        };
        assert_eq!(unit_choices(&hn).len(), 1 + 18);
        assert_eq!(unit_choices(&Scope::National).len(), 34);
        let office = Scope::Office {
            don_vi_id: 5,
            ma_tinh: "01".into(),
        };
        assert!(unit_choices(&office).is_empty());
    }
}
