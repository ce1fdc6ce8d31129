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

mod http;
mod rules;
mod store;

pub use http::routes;
use rules::check_update;
pub use rules::{draft_of, prepare, unit_choices, NewTask};
pub use store::{create, find, list, notes, update};

use crate::audit::{self, action, outcome, AuditEntry};
use crate::feed::Feed;
use crate::projection::Projection;
use crate::rate::RateLimit;
use crate::store::Store;
use app::error::AppError;
use app::ssr::BoxFuture;
use app::wire::dash::TaskItem;
use app::wire::tasks::{
    Created, ProgressForm, TaskBoard, TaskDetail, TaskForm, TaskQuery, TaskRow, UnitChoice,
};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::NaiveDate;
use queries::access::User;
use queries::sql::{Cancel, Limits};
use queries::Scope;
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
