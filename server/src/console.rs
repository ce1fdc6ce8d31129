//! The analyst console's HTTP side: the [`Console`] (the [`Assistant`] behind a lock, loaded on
//! a blocking thread after the server has started serving), the `/api/ask` routes and the
//! [`app::console::Asker`] the `/hoi-dap` page's server functions use.
//!
//! Routes (every one needs a session; the scope always comes from the session):
//! - `POST /api/ask` (JSON [`AskRequest`]) and `GET /api/ask?question=…&previous=…` (for
//!   `EventSource`): server-sent events `stage` ([`Stage`] JSON), `token` (a JSON string: the
//!   plan text as the model writes it), then `answer` ([`AskReply`] JSON) or `error` (a JSON
//!   string in Vietnamese: empty/too long input, busy, too many questions);
//! - `POST /api/ask/sql` (JSON [`SqlRequest`]): SQL the analyst edited, through the same guard
//!   and scope; 200 with the [`AskReply`], 400 with a `refuse` reply when the guard refuses,
//!   429 / 503 with a message when rate-limited or busy;
//! - `POST /api/ask/csv` (form `sql`, `q`, `tinh`): the rows of that SQL (re-run through the
//!   guard) as CSV, UTF-8 with a BOM so Excel shows Vietnamese; at most 10 exports a minute;
//! - `POST /hoi-dap/chay` (the same form): the console page's address for the SQL with the
//!   session's confirmation token (the no-JavaScript "Chạy lại");
//! - `GET /api/ask/status`: whether the model is loaded (`off`, `loading`, `ready`, `missing`,
//!   `failed`).
//!
//! Every question, edited SQL and export is audited (question, SQL as executed, verdict, rows).
//!
//! Every query runs under the budget of [`queries::sql::Limits`] (refusals answer 400 with a
//! `refuse` reply whose `reason` says which rule: `guard`, `budget`, `timeout`, …). A request
//! holds one of the [`MAX_RUNNING`] slots until its work has stopped, not until its client has
//! gone: the slot is moved into the blocking work, and the request's future holds a guard that
//! cancels the work when it is dropped (a client that disconnects stops its query, which still
//! ends in the audit log).

use crate::ask::{Assistant, Model};
use crate::audit::{self, action, outcome, AuditEntry};
use crate::projection::Projection;
use crate::rate::RateLimit;
use crate::store::Store;
use app::console::{Asker, Caller};
use app::error::AppError;
use app::ssr::BoxFuture;
use app::text::ask as t;
use app::wire::ask::{AskReply, AskRequest, Cell, SqlRequest, Stage};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Json, Router};
use chrono::NaiveDate;
use queries::access::{SessionId, User};
use queries::frames::Frames;
use queries::nl::ask::{Answer, Progress, Turn};
use queries::sql::{Cancel, Limits};
use queries::Scope;
use serde_json::Value;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

/// Longest question, in characters.
pub const MAX_QUESTION_CHARS: usize = 500;
/// Longest edited SQL, in bytes.
pub const MAX_SQL_BYTES: usize = 8000;
/// Questions and SQL runs at the same time (the rest are told the system is busy).
pub const MAX_RUNNING: usize = 4;
/// Questions (and SQL runs) per user per minute.
pub const RATE_PER_MINUTE: usize = 30;
/// Rows in a CSV export.
pub const CSV_MAX_ROWS: usize = 100_000;

/// Where the language model stands.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "model", rename_all = "snake_case")]
pub enum ModelStatus {
    /// No model configured.
    Off,
    Loading,
    Ready {
        name: String,
        load_s: f64,
    },
    /// The configured file does not exist.
    Missing,
    /// The file could not be loaded (corrupt, wrong format).
    Failed {
        error: String,
    },
}

/// The console's shared state; clone it freely.
#[derive(Clone)]
pub struct Console {
    inner: Arc<Inner>,
}

struct Inner {
    assistant: RwLock<Assistant>,
    status: RwLock<ModelStatus>,
    /// The running slots; a permit lives as long as the work it admitted.
    running: Arc<Semaphore>,
    /// The budget of every query.
    budget: Limits,
    /// Questions and SQL runs per user ([`RATE_PER_MINUTE`]).
    recent: RateLimit,
    store: Store,
    projection: Projection,
}

/// Why a request is not answered at all (before anything runs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reject {
    Invalid(&'static str),
    Forbidden,
    RateLimited,
    Busy,
    NoData,
    /// A province outside the session's scope (HTTP 403) or unknown (400).
    Scope(StatusCode, String),
}

impl Reject {
    fn message(&self) -> String {
        match self {
            Reject::Invalid(m) => (*m).to_owned(),
            Reject::Forbidden => t::ERR_KIOSK.to_owned(),
            Reject::RateLimited => t::ERR_RATE.to_owned(),
            Reject::Busy => t::ERR_BUSY.to_owned(),
            Reject::NoData => t::ERR_NO_DATA.to_owned(),
            Reject::Scope(_, m) => m.clone(),
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Reject::Invalid(_) => StatusCode::BAD_REQUEST,
            Reject::Forbidden => StatusCode::FORBIDDEN,
            Reject::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Reject::Busy | Reject::NoData => StatusCode::SERVICE_UNAVAILABLE,
            Reject::Scope(code, _) => *code,
        }
    }

    fn app_error(&self) -> AppError {
        match self {
            Reject::Forbidden => AppError::Forbidden(t::ERR_KIOSK.into()),
            Reject::Scope(StatusCode::FORBIDDEN, m) => AppError::Forbidden(m.clone()),
            other => AppError::Invalid(other.message()),
        }
    }
}

impl Console {
    /// A console without a model (questions answer "model not loaded" until
    /// [`Console::start_model`] has loaded one), running queries under `budget`.
    pub fn new(store: Store, projection: Projection, budget: Limits) -> Console {
        Console {
            inner: Arc::new(Inner {
                assistant: RwLock::new(Assistant::new(None).with_budget(budget)),
                status: RwLock::new(ModelStatus::Off),
                running: Arc::new(Semaphore::new(MAX_RUNNING)),
                budget,
                recent: RateLimit::new(RATE_PER_MINUTE, Duration::from_secs(60)),
                store,
                projection,
            }),
        }
    }

    /// Loads the model at `path` on a blocking thread and returns at once; the assistant uses it
    /// from when it is ready. A missing or corrupt file is logged and leaves the console without
    /// a model.
    pub fn start_model(&self, path: Option<PathBuf>) -> Option<tokio::task::JoinHandle<()>> {
        let path = path?;
        if !path.is_file() {
            tracing::warn!(path = %path.display(), "language model file not found: questions will answer 'model not loaded'");
            self.set_status(ModelStatus::Missing);
            return None;
        }
        self.set_status(ModelStatus::Loading);
        let console = self.clone();
        Some(tokio::task::spawn_blocking(move || {
            match Model::load(&path) {
                Ok(model) => {
                    let status = ModelStatus::Ready {
                        name: model.name.clone(),
                        load_s: model.load_s,
                    };
                    if let Ok(mut a) = console.inner.assistant.write() {
                        *a = Assistant::new(Some(model)).with_budget(console.inner.budget);
                    }
                    console.set_status(status);
                }
                Err(e) => {
                    tracing::error!(error = %e, path = %path.display(), "language model failed to load: questions will answer 'model not loaded'");
                    console.set_status(ModelStatus::Failed {
                        error: e.to_string(),
                    });
                }
            }
        }))
    }

    fn set_status(&self, status: ModelStatus) {
        if let Ok(mut s) = self.inner.status.write() {
            *s = status;
        }
    }

    /// Where the model stands.
    pub fn status(&self) -> ModelStatus {
        self.inner
            .status
            .read()
            .map(|s| s.clone())
            .unwrap_or(ModelStatus::Off)
    }

    fn assistant(&self) -> Assistant {
        self.inner
            .assistant
            .read()
            .map(|a| a.clone())
            .unwrap_or_default()
    }

    /// Checks who asks and how often; takes a running slot (released when the permit, moved
    /// into the work, is dropped).
    fn admit(&self, user: &User) -> Result<OwnedSemaphorePermit, Reject> {
        if !user.may_write() || user.scope == Scope::Kiosk {
            return Err(Reject::Forbidden);
        }
        self.inner
            .recent
            .take(user.id)
            .map_err(|_| Reject::RateLimited)?;
        Arc::clone(&self.inner.running)
            .try_acquire_owned()
            .map_err(|_| Reject::Busy)
    }

    /// A copy of the live frames and their as-of date (the lock is released before asking).
    fn frames(&self) -> Result<(Frames, NaiveDate), Reject> {
        let (frames, as_of) = self
            .inner
            .projection
            .with_frames(|f, as_of| (f.clone(), as_of))
            .map_err(|_| Reject::NoData)?;
        Ok((frames, as_of.ok_or(Reject::NoData)?))
    }

    /// Answers a question, sending progress to `progress` (from a blocking thread), and audits
    /// it. Dropping the future (the client went away) cancels the work; it is audited anyway.
    async fn answer(
        &self,
        caller: &Caller,
        question: String,
        previous: Option<String>,
        progress: Option<mpsc::Sender<(bool, Event)>>,
    ) -> Result<AskReply, Reject> {
        let question = validate_question(&question)?;
        let previous = previous
            .map(|p| {
                p.trim()
                    .chars()
                    .take(MAX_QUESTION_CHARS)
                    .collect::<String>()
            })
            .filter(|p| !p.is_empty());
        let scope = narrow(caller)?;
        let permit = self.admit(&caller.user)?;
        let (frames, as_of) = self.frames()?;
        let assistant = self.assistant();
        let cancel = Cancel::new();
        let _cancel_if_dropped = cancel.on_drop();
        let console = self.clone();
        let caller = caller.clone();
        let work = async move {
            let q = question.clone();
            let prev = previous.clone();
            let answer = tokio::task::spawn_blocking(move || {
                // The slot is free only when the work has stopped.
                let _permit = permit;
                let turn = prev.map(|question| Turn { question });
                let mut on_progress = |p: Progress<'_>| {
                    if let Some(tx) = &progress {
                        let _ = tx.blocking_send(progress_event(&p));
                    }
                };
                assistant.ask(
                    &q,
                    turn.as_ref(),
                    &scope,
                    as_of,
                    &frames,
                    &cancel,
                    &mut on_progress,
                )
            })
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "question thread failed");
                Reject::Busy
            })?;
            let verdict = if answer.kind == "refuse" {
                outcome::REFUSED
            } else {
                outcome::OK
            };
            audit::record_or_log(
                &console.inner.store,
                &entry(&caller, action::QUESTION, verdict).detail(serde_json::json!({
                    "question": question,
                    "previous": previous,
                    "kind": answer.kind,
                    "reason": answer.reason,
                    "sql": answer.sql,
                    "rows": answer.rows.len(),
                    "ms": answer.ms,
                })),
            )
            .await;
            Ok(reply_of(answer, &question, as_of))
        };
        finish_detached(work).await
    }

    /// Runs edited SQL through the guard in the caller's scope and budget, and audits it.
    /// Dropping the future (the client went away) cancels the query; it is audited anyway.
    async fn run_sql(
        &self,
        caller: &Caller,
        sql: String,
        question: Option<String>,
        max_rows: usize,
        act: &'static str,
    ) -> Result<AskReply, Reject> {
        if sql.trim().is_empty() {
            return Err(Reject::Invalid(t::ERR_EMPTY));
        }
        if sql.len() > MAX_SQL_BYTES {
            return Err(Reject::Invalid(t::ERR_SQL_TOO_LONG));
        }
        let scope = narrow(caller)?;
        let permit = self.admit(&caller.user)?;
        let (frames, as_of) = self.frames()?;
        let cancel = Cancel::new();
        let _cancel_if_dropped = cancel.on_drop();
        let console = self.clone();
        let caller = caller.clone();
        let work = async move {
            let text = sql.clone();
            let budget = console.inner.budget;
            let started = Instant::now();
            let result = tokio::task::spawn_blocking(move || {
                // The slot is free only when the query has stopped.
                let _permit = permit;
                let runner = crate::ask::FramesRunner {
                    frames: &frames,
                    scope: &scope,
                    budget: &budget,
                    cancel: &cancel,
                };
                queries::nl::ask::Runner::run(&runner, &text, max_rows)
            })
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "SQL thread failed");
                Reject::Busy
            })?;
            let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            let question = question
                .map(|q| {
                    q.trim()
                        .chars()
                        .take(MAX_QUESTION_CHARS)
                        .collect::<String>()
                })
                .unwrap_or_default();
            let (verdict, detail) = match &result {
                Ok((executed, table)) => (
                    outcome::OK,
                    serde_json::json!({"question": question, "edited_sql": sql, "sql": executed, "rows": table.rows.len(), "ms": ms}),
                ),
                Err(e) => (
                    outcome::REFUSED,
                    serde_json::json!({"question": question, "edited_sql": sql, "error": e.message, "reason": e.reason, "rows": 0, "ms": ms}),
                ),
            };
            audit::record_or_log(
                &console.inner.store,
                &entry(&caller, act, verdict).detail(detail),
            )
            .await;
            Ok(match result {
                Ok((executed, table)) => {
                    let answer = Answer {
                        kind: "query".into(),
                        sql: Some(executed),
                        answer: format!(
                            "Câu lệnh trả về {} {}.",
                            app::text::format_int(i64::try_from(table.rows.len()).unwrap_or(0)),
                            t::ROWS
                        ),
                        chart: Some(queries::nl::answer::table_chart(
                            &table.columns,
                            &table.rows,
                        )),
                        columns: table.columns,
                        rows: table.rows,
                        reason: None,
                        task: None,
                        plan: None,
                        value_column: None,
                        period: None,
                        path: None,
                        ms,
                    };
                    reply_of(answer, &question, as_of)
                }
                Err(e) => AskReply {
                    kind: "refuse".into(),
                    question,
                    sql: Some(sql),
                    answer: format!("{}: {}", t::SQL_REFUSED, e.message),
                    reason: Some(e.reason.into()),
                    suggestions: vec![t::SQL_HINT.to_owned()],
                    as_of: Some(as_of.to_string()),
                    ms,
                    ..AskReply::default()
                },
            })
        };
        finish_detached(work).await
    }
}

/// Runs `work` to its end in a task of its own and waits for it: if the waiting future is
/// dropped (the client went away), the work still finishes — its query already cancelled by
/// the caller's guard — and is audited.
async fn finish_detached(
    work: impl std::future::Future<Output = Result<AskReply, Reject>> + Send + 'static,
) -> Result<AskReply, Reject> {
    tokio::spawn(work).await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "console task failed");
        Err(Reject::Busy)
    })
}

/// The session's scope, narrowed to the requested province when the session may see it.
fn narrow(caller: &Caller) -> Result<Scope, Reject> {
    let requested = caller
        .province
        .as_ref()
        .map(|p| format!("province:{}", p.trim()));
    crate::auth::live_scope(&caller.scope, requested.as_deref())
        .map_err(|(code, message)| Reject::Scope(code, message))
}

fn entry(caller: &Caller, act: &str, verdict: &str) -> AuditEntry {
    AuditEntry::new(act, verdict)
        .by(&caller.user)
        .from(&caller.address)
}

fn validate_question(q: &str) -> Result<String, Reject> {
    let q = q.trim();
    if q.is_empty() {
        return Err(Reject::Invalid(t::ERR_EMPTY));
    }
    if q.chars().count() > MAX_QUESTION_CHARS {
        return Err(Reject::Invalid(t::ERR_TOO_LONG));
    }
    Ok(q.to_owned())
}

fn json_event(name: &str, value: &impl serde::Serialize) -> Event {
    Event::default()
        .event(name)
        .json_data(value)
        .unwrap_or_else(|_| Event::default().event(name))
}

/// The event of a progress step, and whether it is a token.
fn progress_event(p: &Progress<'_>) -> (bool, Event) {
    let ev = match p {
        Progress::Understanding => json_event(
            "stage",
            &Stage {
                stage: "understanding".into(),
                label: t::STAGE_UNDERSTANDING.into(),
                sql: None,
            },
        ),
        Progress::Generating(token) => return (true, json_event("token", token)),
        Progress::Running(sql) => json_event(
            "stage",
            &Stage {
                stage: "running".into(),
                label: t::STAGE_RUNNING.into(),
                sql: Some((*sql).to_owned()),
            },
        ),
    };
    (false, ev)
}

fn cell(v: &Value) -> Cell {
    match v {
        Value::Null => Cell::Null,
        Value::Bool(b) => Cell::Bool(*b),
        Value::Number(n) => n
            .as_i64()
            .map(Cell::Int)
            .or_else(|| n.as_f64().map(Cell::Num))
            .unwrap_or(Cell::Null),
        Value::String(s) => Cell::Text(s.clone()),
        other => Cell::Text(other.to_string()),
    }
}

fn number(v: &Value) -> Option<f64> {
    v.as_f64()
}

/// The answer as the page shows it, with its chart drawn.
fn reply_of(a: Answer, question: &str, as_of: NaiveDate) -> AskReply {
    let chart = a
        .chart
        .and_then(|c| serde_json::to_value(c).ok())
        .and_then(|v| v.as_str().map(str::to_owned));
    let chart_svg = chart
        .as_deref()
        .filter(|k| *k == "bar" || *k == "line")
        .and_then(|kind| draw(kind, &a));
    let refused = a.kind == "refuse";
    AskReply {
        question: question.to_owned(),
        suggestions: if refused && a.reason.as_deref() != Some("model_unavailable") {
            t::SUGGESTED.iter().map(|s| (*s).to_owned()).collect()
        } else {
            Vec::new()
        },
        rows: a
            .rows
            .iter()
            .map(|r| r.iter().map(cell).collect())
            .collect(),
        task: a
            .task
            .as_ref()
            .and_then(|task| serde_json::to_string_pretty(task).ok()),
        draft: a.task.as_ref().map(crate::tasks::draft_of),
        kind: a.kind,
        sql: a.sql,
        columns: a.columns,
        answer: a.answer,
        reason: a.reason,
        plan: a.plan,
        chart,
        chart_svg,
        as_of: Some(as_of.to_string()),
        ms: a.ms,
    }
}

fn draw(kind: &str, a: &Answer) -> Option<String> {
    let value_ix = a
        .value_column
        .as_ref()
        .and_then(|c| a.columns.iter().position(|x| x == c))
        .or_else(|| {
            (0..a.columns.len()).rev().find(|&i| {
                a.rows
                    .iter()
                    .all(|r| r.get(i).is_some_and(Value::is_number))
            })
        })?;
    let label_cols: Vec<usize> = (0..a.columns.len())
        .filter(|&i| {
            i != value_ix
                && a.rows
                    .iter()
                    .any(|r| r.get(i).is_some_and(|v| !v.is_number()))
        })
        .collect();
    let label_cols = if label_cols.is_empty() {
        (0..a.columns.len())
            .filter(|&i| i != value_ix)
            .take(1)
            .collect()
    } else {
        label_cols
    };
    let mut labels = Vec::new();
    let mut values = Vec::new();
    for r in &a.rows {
        let Some(v) = r.get(value_ix).and_then(number) else {
            continue;
        };
        let label: Vec<String> = label_cols
            .iter()
            .filter_map(|&i| r.get(i))
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        labels.push(label.join(" · "));
        values.push(v);
    }
    let title = a.columns[value_ix].replace('_', " ");
    app::ask_chart::answer_svg(kind, &title, &labels, &values)
}

impl Asker for Console {
    fn ask(
        &self,
        caller: Caller,
        question: String,
        previous: Option<String>,
    ) -> BoxFuture<'_, Result<AskReply, AppError>> {
        Box::pin(async move {
            self.answer(&caller, question, previous, None)
                .await
                .map_err(|r| r.app_error())
        })
    }

    fn run_sql(
        &self,
        caller: Caller,
        sql: String,
        question: Option<String>,
    ) -> BoxFuture<'_, Result<AskReply, AppError>> {
        Box::pin(async move {
            Console::run_sql(
                self,
                &caller,
                sql,
                question,
                queries::nl::ask::MAX_ANSWER_ROWS,
                action::QUESTION,
            )
            .await
            .map_err(|r| r.app_error())
        })
    }
}

/// The console's API routes.
pub fn routes() -> Router<crate::State> {
    Router::new()
        .route("/api/ask", get(ask_get).post(ask_post))
        .route("/api/ask/sql", post(sql_post))
        .route("/api/ask/csv", post(csv))
        .route(app::pages::ask::RUN_ACTION, post(confirm_run))
        .route("/api/ask/status", get(status))
}

type Session = (
    Option<Extension<User>>,
    Option<Extension<Scope>>,
    Option<Extension<crate::auth::ClientAddr>>,
);

fn caller_of((user, scope, addr): Session, province: Option<String>) -> Option<Caller> {
    Some(Caller {
        user: user?.0,
        scope: scope?.0,
        address: addr.map(|a| a.0 .0).unwrap_or_default(),
        province: province.filter(|p| !p.trim().is_empty()),
        session: String::new(),
    })
}

async fn status(State(state): State<crate::State>) -> Json<ModelStatus> {
    Json(state.console.status())
}

async fn ask_get(
    State(state): State<crate::State>,
    user: Option<Extension<User>>,
    scope: Option<Extension<Scope>>,
    addr: Option<Extension<crate::auth::ClientAddr>>,
    Query(req): Query<AskRequest>,
) -> Response {
    let province = req.tinh.clone();
    stream(state, caller_of((user, scope, addr), province), req)
}

async fn ask_post(
    State(state): State<crate::State>,
    user: Option<Extension<User>>,
    scope: Option<Extension<Scope>>,
    addr: Option<Extension<crate::auth::ClientAddr>>,
    Json(req): Json<AskRequest>,
) -> Response {
    let province = req.tinh.clone();
    stream(state, caller_of((user, scope, addr), province), req)
}

/// The question as server-sent events.
fn stream(state: crate::State, caller: Option<Caller>, req: AskRequest) -> Response {
    // The auth middleware answers 401 before an anonymous request gets here; never widen.
    let Some(caller) = caller else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let (tx, rx) = mpsc::channel::<Event>(256);
    let console = state.console.clone();
    tokio::spawn(async move {
        let _ = tx
            .send(json_event(
                "stage",
                &Stage {
                    stage: "understanding".into(),
                    label: t::STAGE_UNDERSTANDING.into(),
                    sql: None,
                },
            ))
            .await;
        let generating = json_event(
            "stage",
            &Stage {
                stage: "generating".into(),
                label: t::STAGE_GENERATING.into(),
                sql: None,
            },
        );
        // The first token announces the generating stage.
        let (ptx, mut prx) = mpsc::channel::<(bool, Event)>(256);
        let forward = {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut announced = false;
                while let Some((token, ev)) = prx.recv().await {
                    if token && !announced {
                        announced = true;
                        let _ = tx.send(generating.clone()).await;
                    }
                    let _ = tx.send(ev).await;
                }
            })
        };
        // A client that goes away drops the event stream: stop waiting, which cancels the work.
        let result = tokio::select! {
            result = console.answer(&caller, req.question, req.previous, Some(ptx)) => result,
            () = tx.closed() => return,
        };
        let _ = forward.await;
        let last = match result {
            Ok(reply) => json_event("answer", &reply),
            Err(r) => json_event("error", &r.message()),
        };
        let _ = tx.send(last).await;
    });
    let events = tokio_stream::wrappers::ReceiverStream::new(rx);
    let events = futures::StreamExt::map(events, Ok::<Event, Infallible>);
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}

async fn sql_post(
    State(state): State<crate::State>,
    user: Option<Extension<User>>,
    scope: Option<Extension<Scope>>,
    addr: Option<Extension<crate::auth::ClientAddr>>,
    Json(req): Json<SqlRequest>,
) -> Response {
    let Some(caller) = caller_of((user, scope, addr), req.tinh.clone()) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match state
        .console
        .run_sql(
            &caller,
            req.sql,
            req.question,
            queries::nl::ask::MAX_ANSWER_ROWS,
            action::QUESTION,
        )
        .await
    {
        Ok(reply) if reply.refused() => (StatusCode::BAD_REQUEST, Json(reply)).into_response(),
        Ok(reply) => Json(reply).into_response(),
        Err(r) => (r.status(), Json(serde_json::json!({"error": r.message()}))).into_response(),
    }
}

/// The console's SQL form (`/hoi-dap`): the SQL, the question it answers, the province the page
/// narrows to. Posted to [`app::pages::ask::RUN_ACTION`] ("Chạy lại" without JavaScript) and
/// to [`app::pages::ask::CSV_ACTION`] ("Tải CSV").
#[derive(Debug, serde::Deserialize)]
pub struct SqlForm {
    pub sql: String,
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub tinh: Option<String>,
}

/// `POST /hoi-dap/chay`: sends the browser to the console's address for the SQL with the
/// session's confirmation token (SQL in an address runs only with it; see
/// [`app::console::run_token`]).
async fn confirm_run(session: Option<Extension<SessionId>>, Form(f): Form<SqlForm>) -> Response {
    let Some(Extension(SessionId(session))) = session else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in [("q", &f.q), ("tinh", &f.tinh)] {
        if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            q.append_pair(k, v);
        }
    }
    q.append_pair("sql", &f.sql);
    q.append_pair("xac_nhan", &app::console::run_token(&session, &f.sql));
    let mut resp = StatusCode::SEE_OTHER.into_response();
    if let Ok(to) = HeaderValue::from_str(&format!("/hoi-dap?{}", q.finish())) {
        resp.headers_mut().insert(header::LOCATION, to);
    }
    resp
}

/// `POST /api/ask/csv`: the rows of the form's SQL as a CSV download.
async fn csv(
    State(state): State<crate::State>,
    user: Option<Extension<User>>,
    scope: Option<Extension<Scope>>,
    addr: Option<Extension<crate::auth::ClientAddr>>,
    Form(f): Form<SqlForm>,
) -> Response {
    let Some(caller) = caller_of((user, scope, addr), f.tinh.clone()) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    if let Err(wait) = state.exports.take(caller.user.id) {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, wait.seconds().to_string())],
            app::text::dash::EXPORT_RATE,
        )
            .into_response();
    }
    let reply = match state
        .console
        .run_sql(&caller, f.sql, f.q, CSV_MAX_ROWS, action::EXPORT)
        .await
    {
        Ok(reply) if reply.refused() => {
            return (StatusCode::BAD_REQUEST, reply.answer).into_response()
        }
        Ok(reply) => reply,
        Err(r) => return (r.status(), r.message()).into_response(),
    };
    let mut out = String::from("\u{feff}");
    let header_line: Vec<String> = reply.columns.iter().map(|c| csv_field(c)).collect();
    out.push_str(&header_line.join(","));
    out.push_str("\r\n");
    for row in &reply.rows {
        let line: Vec<String> = row.iter().map(|c| csv_field(&c.raw())).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"hoi-dap.csv\""),
    );
    (StatusCode::OK, headers, out).into_response()
}

/// A CSV field, quoted when needed; a leading `=`, `+`, `-`, `@` is defused for spreadsheets.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '@']) || (s.starts_with('-') && s.parse::<f64>().is_err()) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("Hà Nội"), "Hà Nội");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=1+1"), "'=1+1");
        assert_eq!(csv_field("-12.5"), "-12.5");
    }

    #[test]
    fn questions_are_validated() {
        assert_eq!(validate_question("  "), Err(Reject::Invalid(t::ERR_EMPTY)));
        assert!(validate_question(&"a".repeat(MAX_QUESTION_CHARS + 1)).is_err());
        assert_eq!(validate_question(" Hà Nội? ").as_deref(), Ok("Hà Nội?"));
    }
}
