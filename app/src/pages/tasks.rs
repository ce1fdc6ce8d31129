//! Tasks (issue 9): the task board `/nhiem-vu` (filters in the query string, status and
//! progress updates with a comment, refreshed live), the confirmation step of a command in the
//! analyst console ([`TaskDraftForm`]) and the open tasks of a unit on its view and on "Việc của tôi" ([`UnitTasks`]).
//!
//! The server side is the [`TaskService`] the `server` crate implements (`server::tasks`): it
//! decides the scope from the session, selects the linked records again from the command,
//! stores, audits and pushes every change live (`event: task` on `/api/live`).

use crate::components::date_input::DateInput;
use crate::components::error_list::ErrorList;
use crate::components::live::{use_live, LiveStatus};
use crate::error::AppError;
use crate::text::{self, tasks as t};
use crate::wire::resource;
use crate::wire::tasks::{
    Created, Draft, TaskBoard, TaskForm, TaskQuery, TaskRow, UnitChoice, ACTIONS, STATUSES,
};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_meta::{Stylesheet, Title};
use leptos_router::hooks::use_query_map;

/// The server side of tasks as the app sees it. Compiled with `ssr` only.
#[cfg(feature = "ssr")]
pub trait TaskService: Send + Sync + 'static {
    /// The units the caller may assign tasks to.
    fn units(&self, caller: crate::console::Caller) -> Vec<UnitChoice>;

    /// Stores a confirmed draft (one task per unit).
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a bad field, [`AppError::Forbidden`] for a unit outside the
    /// caller's scope or a caller who may not assign.
    fn confirm(
        &self,
        caller: crate::console::Caller,
        form: TaskForm,
    ) -> crate::ssr::BoxFuture<'_, Result<Created, AppError>>;

    /// The tasks in the caller's scope matching `query`.
    ///
    /// # Errors
    /// [`AppError::Unavailable`] when the store cannot answer.
    fn board(
        &self,
        caller: crate::console::Caller,
        query: TaskQuery,
    ) -> crate::ssr::BoxFuture<'_, Result<TaskBoard, AppError>>;

    /// One task with its updates.
    ///
    /// # Errors
    /// [`AppError::NotFound`] when it is outside the caller's scope.
    fn detail(
        &self,
        caller: crate::console::Caller,
        id: i64,
    ) -> crate::ssr::BoxFuture<'_, Result<crate::wire::tasks::TaskDetail, AppError>>;

    /// A status and progress update with a comment.
    ///
    /// # Errors
    /// [`AppError::NotFound`] outside the scope, [`AppError::Invalid`] for bad values.
    fn progress(
        &self,
        caller: crate::console::Caller,
        form: crate::wire::tasks::ProgressForm,
    ) -> crate::ssr::BoxFuture<'_, Result<TaskRow, AppError>>;
}

#[cfg(feature = "ssr")]
fn service() -> Result<std::sync::Arc<dyn TaskService>, AppError> {
    Ok(crate::ssr::app_state()?.tasks)
}

#[cfg(feature = "ssr")]
fn caller() -> Result<crate::console::Caller, AppError> {
    crate::console::caller(None).map_err(crate::ssr::with_status)
}

/// The units the caller may assign to.
#[server]
pub async fn task_units() -> Result<Vec<UnitChoice>, AppError> {
    Ok(service()?.units(caller()?))
}

/// Confirms a draft: stores, audits and pushes it live.
#[server(input = Json)]
pub async fn confirm_task(form: TaskForm) -> Result<Created, AppError> {
    service()?
        .confirm(caller()?, form)
        .await
        .map_err(crate::ssr::with_status)
}

/// The board in the caller's scope.
#[server]
pub async fn load_task_board(
    don_vi: Option<String>,
    trang_thai: Option<String>,
    han: Option<String>,
    qua_han: bool,
) -> Result<TaskBoard, AppError> {
    let query = TaskQuery {
        don_vi,
        trang_thai,
        // Typed as dd/mm/yyyy in the filter form.
        han: han.and_then(|h| text::parse_date(&h)),
        qua_han,
    };
    service()?
        .board(caller()?, query)
        .await
        .map_err(crate::ssr::with_status)
}

/// A status/progress update with a comment.
#[server]
pub async fn update_task(
    id: i64,
    trang_thai: String,
    tien_do: i64,
    ghi_chu: String,
) -> Result<TaskRow, AppError> {
    let form = crate::wire::tasks::ProgressForm {
        id,
        trang_thai,
        tien_do,
        ghi_chu,
    };
    service()?
        .progress(caller()?, form)
        .await
        .map_err(crate::ssr::with_status)
}

/// `/nhiem-vu`: the task board.
#[component]
pub fn TasksPage() -> impl IntoView {
    let query = use_query_map();
    let filters = Memo::new(move |_| query.with(|q| TaskQuery::from_params(|k| q.get(k))));
    let live = use_live();
    // Every task event (a new task, an update) re-reads the board.
    let tick = RwSignal::new(0u64);
    Effect::new(move |prev: Option<()>| {
        live.tasks.track();
        if prev.is_some() {
            tick.update(|n| *n += 1);
        }
    });
    let board = resource(
        move || (filters.get(), tick.get()),
        |(q, _)| load_task_board(q.don_vi, q.trang_thai, q.han, q.qua_han),
    );
    view! {
        <Stylesheet id="dash" href="/pkg/dash.css"/>
        <Stylesheet id="tasks" href="/pkg/tasks.css"/>
        <Title text=t::TITLE/>
        <main id="noi-dung" class="page tasks-page">
            <header class="page-header">
                <p class="brand"><a href="/">{text::APP_SHORT}</a></p>
                <h1>{t::HEADING}</h1>
                <LiveStatus live/>
                <p class="muted">{t::INTRO}</p>
            </header>
            <Transition fallback=|| view! { <p>{text::LOADING}</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorList errors/> }>
                    {move || board.get().map(|r| r.map(|b| view! {
                        <FilterForm query=filters.get_untracked() board=b.clone()/>
                        <Board board=b on_saved=move || tick.update(|n| *n += 1)/>
                    }))}
                </ErrorBoundary>
            </Transition>
        </main>
    }
}

/// The filter form (GET: the filters land in the query string).
#[component]
fn FilterForm(query: TaskQuery, board: TaskBoard) -> impl IntoView {
    let units = board
        .units
        .iter()
        .map(|u| {
            let selected = query.don_vi.as_deref() == Some(u.ma.as_str());
            view! { <option value=u.ma.clone() selected=selected>{format!("{} ({})", u.ten, u.ma)}</option> }
        })
        .collect_view();
    let statuses = STATUSES
        .iter()
        .map(|s| {
            let selected = query.trang_thai.as_deref() == Some(*s);
            view! { <option value=*s selected=selected>{t::status(s)}</option> }
        })
        .collect_view();
    view! {
        <form method="get" action="/nhiem-vu" class="task-filters" aria-label=t::FILTERS>
            <label>{t::UNITS}
                <select name="don_vi">
                    <option value="">{t::ALL_UNITS}</option>
                    {units}
                </select>
            </label>
            <label>{t::STATUS}
                <select name="trang_thai">
                    <option value="">{t::ALL_STATUSES}</option>
                    {statuses}
                </select>
            </label>
            <label>{t::DUE_BY}
                <DateInput name="han" value=query.han.clone().unwrap_or_default()/>
            </label>
            <label class="check">
                <input type="checkbox" name="qua_han" value="1" checked=query.qua_han/>
                {t::ONLY_OVERDUE}
            </label>
            <button type="submit">{t::FILTER}</button>
            <a href="/nhiem-vu">{t::CLEAR}</a>
        </form>
    }
}

#[component]
fn Board(board: TaskBoard, on_saved: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let summary = format!(
        "{} {} · {} {}",
        text::format_int(i64::try_from(board.rows.len()).unwrap_or(0)),
        t::COUNT,
        t::AS_OF,
        text::format_date(&board.as_of)
    );
    if board.rows.is_empty() {
        return view! { <p class="empty" role="status">{t::NONE}</p> }.into_any();
    }
    let may_update = board.may_update;
    view! {
        <p class="task-summary" role="status">{summary}</p>
        <ul class="task-board">
            {board.rows.into_iter().map(|row| view! { <TaskCard row may_update on_saved/> }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn TaskCard(
    row: TaskRow,
    may_update: bool,
    on_saved: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let moved = match row.moved_percent() {
        Some(p) => format!(
            "{}/{} ({p}%)",
            text::format_int(row.moved),
            text::format_int(row.tracked)
        ),
        None => "—".to_owned(),
    };
    let open = matches!(row.trang_thai.as_str(), "moi" | "dang_thuc_hien");
    let id = row.id;
    let status = RwSignal::new(if row.trang_thai == "moi" {
        "dang_thuc_hien".to_owned()
    } else {
        row.trang_thai.clone()
    });
    let progress = RwSignal::new(row.tien_do.to_string());
    let note = RwSignal::new(String::new());
    let message = RwSignal::new(None::<Result<(), String>>);
    let saving = RwSignal::new(false);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if saving.get_untracked() {
            return;
        }
        saving.set(true);
        let (s, p, n) = (
            status.get_untracked(),
            progress.get_untracked().trim().parse::<i64>().unwrap_or(-1),
            note.get_untracked(),
        );
        leptos::task::spawn_local(async move {
            let r = update_task(id, s, p, n).await;
            saving.set(false);
            message.set(Some(r.map(|_| ()).map_err(|e| e.to_string())));
            if message.get_untracked().is_some_and(|m| m.is_ok()) {
                on_saved();
            }
        });
    };
    let statuses = STATUSES
        .iter()
        .map(|s| view! { <option value=*s>{t::status(s)}</option> })
        .collect_view();
    view! {
        <li class="task-card" class:late=row.overdue data-task-id=row.id data-status=row.trang_thai.clone()>
            <div class="task-head">
                <h2 class="task-title">{row.tieu_de.clone()}</h2>
                {row.overdue.then(|| view! { <span class="badge late">{t::OVERDUE}</span> })}
                <span class=format!("badge status-{}", row.trang_thai)>{t::status(&row.trang_thai)}</span>
            </div>
            <dl class="task-facts">
                <div><dt>{t::UNITS}</dt><dd>{row.don_vi_ten.clone()} " (" {row.don_vi_ma.clone()} ")"</dd></div>
                <div><dt>{t::ACTION}</dt><dd>{t::action(&row.loai_hanh_dong)}</dd></div>
                <div><dt>{t::ASSIGNED}</dt><dd>{text::format_date(&row.ngay_giao)}</dd></div>
                <div><dt>{t::DUE}</dt><dd>{text::format_date(&row.han_hoan_thanh)}</dd></div>
                <div><dt>{t::REPORTED}</dt><dd class="task-progress">{format!("{}%", row.tien_do)}</dd></div>
                <div><dt>{t::MOVED}</dt><dd>{moved}</dd></div>
            </dl>
            <progress max="100" value=row.tien_do aria-label=t::REPORTED></progress>
            {row.ghi_chu.clone().map(|n| view! { <p class="task-note"><span class="muted">{t::LAST_NOTE} ": "</span>{n}</p> })}
            {(!row.cau_hoi_goc.is_empty()).then(|| view! { <p class="muted task-command">{t::COMMAND} ": «" {row.cau_hoi_goc.clone()} "»"</p> })}
            {(may_update && open).then(|| view! {
                <form class="task-update" on:submit=on_submit aria-label=t::UPDATE>
                    <label>{t::STATUS}
                        <select name="trang_thai" prop:value=move || status.get()
                            on:change=move |ev| status.set(event_target_value(&ev))>{statuses}</select>
                    </label>
                    <label>{t::PROGRESS}
                        <input type="number" name="tien_do" min="0" max="100" step="5"
                            prop:value=move || progress.get()
                            on:input=move |ev| progress.set(event_target_value(&ev))/>
                    </label>
                    <label class="wide">{t::NOTE}
                        <textarea name="ghi_chu" rows="2" placeholder=t::NOTE_PLACEHOLDER
                            prop:value=move || note.get()
                            on:input=move |ev| note.set(event_target_value(&ev))></textarea>
                    </label>
                    <button type="submit" disabled=move || saving.get()>{t::UPDATE}</button>
                    {move || message.get().map(|m| match m {
                        Ok(()) => view! { <span class="ok" role="status">{t::SAVED}</span> }.into_any(),
                        Err(e) => view! { <span class="error" role="alert">{e}</span> }.into_any(),
                    })}
                </form>
            })}
        </li>
    }
}

/// The confirmation step of a command: the draft with every field editable, then "Xác nhận
/// giao việc".
#[component]
pub fn TaskDraftForm(draft: Draft) -> impl IntoView {
    let choices = resource(|| (), |()| task_units());
    let units = RwSignal::new(draft.form.units.clone());
    let title = RwSignal::new(draft.form.tieu_de.clone());
    let action = RwSignal::new(draft.form.loai_hanh_dong.clone());
    let due = RwSignal::new(draft.form.han_hoan_thanh.clone());
    let quantity = RwSignal::new(
        draft
            .form
            .so_luong
            .map(|n| n.to_string())
            .unwrap_or_default(),
    );
    let linked = RwSignal::new(draft.linked.to_string());
    let result = RwSignal::new(None::<Result<Created, String>>);
    let sending = RwSignal::new(false);
    let command = StoredValue::new(draft.form.command.clone());
    let drafted = StoredValue::new(draft.form.units.clone());
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if sending.get_untracked() {
            return;
        }
        sending.set(true);
        let form = TaskForm {
            command: command.get_value(),
            units: units.get_untracked(),
            loai_hanh_dong: action.get_untracked(),
            tieu_de: title.get_untracked(),
            han_hoan_thanh: due.get_untracked(),
            so_luong: quantity.get_untracked().trim().parse().ok(),
            max_linked: linked.get_untracked().trim().parse().ok(),
        };
        leptos::task::spawn_local(async move {
            let r = confirm_task(form).await.map_err(|e| e.to_string());
            sending.set(false);
            result.set(Some(r));
        });
    };
    let actions = ACTIONS
        .iter()
        .map(|a| view! { <option value=*a selected=draft.form.loai_hanh_dong == *a>{t::action(a)}</option> })
        .collect_view();
    let unit_options = move || {
        let mut all: Vec<UnitChoice> = choices.get().and_then(Result::ok).unwrap_or_default();
        // The drafted units first, then the others the caller may choose.
        let first = drafted.get_value();
        all.sort_by_key(|c| !first.contains(&c.ma));
        for ma in first.iter().rev() {
            if !all.iter().any(|c| &c.ma == ma) {
                all.insert(
                    0,
                    UnitChoice {
                        ten: ma.clone(),
                        ma: ma.clone(),
                    },
                );
            }
        }
        all.into_iter()
            .map(|c| {
                let (ma, ma2) = (c.ma.clone(), c.ma.clone());
                view! {
                    <label class="unit-choice">
                        <input type="checkbox" name="units" value=c.ma.clone()
                            prop:checked=move || units.with(|u| u.contains(&ma))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                units.update(|u| {
                                    u.retain(|x| *x != ma2);
                                    if on {
                                        u.push(ma2.clone());
                                    }
                                });
                            }/>
                        {format!("{} ({})", c.ten, c.ma)}
                    </label>
                }
            })
            .collect_view()
    };
    view! {
        <Stylesheet id="tasks" href="/pkg/tasks.css"/>
        <section class="task-draft" aria-labelledby="task-draft-title">
            <h3 id="task-draft-title">{t::DRAFT_HEADING}</h3>
            <p class="muted">{t::DRAFT_HINT}</p>
            <form class="task-draft-form" on:submit=on_submit>
                <fieldset class="wide unit-choices">
                    <legend>{t::UNITS}</legend>
                    <Transition fallback=|| ()>{unit_options}</Transition>
                </fieldset>
                <label class="wide">{t::TITLE_LABEL}
                    <input type="text" name="tieu_de" maxlength="200" required
                        prop:value=move || title.get() on:input=move |ev| title.set(event_target_value(&ev))/>
                </label>
                <label>{t::ACTION}
                    <select name="loai_hanh_dong" on:change=move |ev| action.set(event_target_value(&ev))>{actions}</select>
                </label>
                <label>{t::DEADLINE}
                    <DateInput name="han_hoan_thanh" value=due.get_untracked() required=true
                        on_input=Callback::new(move |v| due.set(v))/>
                </label>
                <label>{t::QUANTITY}
                    <input type="number" name="so_luong" min="1"
                        prop:value=move || quantity.get() on:input=move |ev| quantity.set(event_target_value(&ev))/>
                </label>
                <label>{t::LINKED}
                    <input type="number" name="max_linked" min="0"
                        prop:value=move || linked.get() on:input=move |ev| linked.set(event_target_value(&ev))/>
                </label>
                {draft.scope_mo_ta.clone().map(|s| view! {
                    <p class="wide muted">{t::SCOPE} ": " {s} " (" {text::format_int(i64::try_from(draft.linked).unwrap_or(0))} ")"</p>
                })}
                <p class="wide muted">{t::COMMAND} ": «" {draft.form.command.clone()} "»"</p>
                <div class="wide">
                    <button type="submit" class="task-confirm" disabled=move || sending.get() || result.with(|r| r.as_ref().is_some_and(Result::is_ok))>
                        {move || if sending.get() { t::CONFIRMING } else { t::CONFIRM }}
                    </button>
                </div>
                {move || result.get().map(|r| match r {
                    Ok(c) => {
                        let ids = c.ids.iter().map(|i| format!("#{i}")).collect::<Vec<_>>().join(", ");
                        view! {
                            <p class="wide ok task-created" role="status">
                                {t::CONFIRMED} " " {ids} ". " <a href="/nhiem-vu">{t::OPEN_BOARD}</a>
                            </p>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="wide error" role="alert">{e}</p> }.into_any(),
                })}
            </form>
        </section>
    }
}

/// The open tasks of a unit (`T01` for a province and its offices), or of every unit in the
/// caller's scope (`None`), with the overdue flagged: on a province's view and on "Việc của
/// tôi".
#[component]
pub fn UnitTasks(unit: Option<String>, heading: &'static str) -> impl IntoView {
    let href = unit.as_ref().map_or_else(
        || "/nhiem-vu".to_string(),
        |u| format!("/nhiem-vu?don_vi={u}"),
    );
    let board = resource(
        move || unit.clone(),
        |u| load_task_board(u, None, None, false),
    );
    view! {
        <Stylesheet id="tasks" href="/pkg/tasks.css"/>
        <section class="panel area-tasks" aria-labelledby="area-tasks-title">
            <h2 id="area-tasks-title">{heading}</h2>
            <Transition fallback=|| view! { <p>{text::LOADING}</p> }>
                {move || board.get().map(|r| match r {
                    Ok(b) => {
                        let open: Vec<TaskRow> = b.rows.into_iter()
                            .filter(|r| matches!(r.trang_thai.as_str(), "moi" | "dang_thuc_hien"))
                            .collect();
                        let late = open.iter().filter(|r| r.overdue).count();
                        let summary = format!(
                            "{} {} · {} {}",
                            text::format_int(i64::try_from(open.len()).unwrap_or(0)), t::AREA_OPEN,
                            text::format_int(i64::try_from(late).unwrap_or(0)), t::AREA_OVERDUE
                        );
                        view! {
                            <p class="muted">{summary}</p>
                            <ul class="task-list">
                                {open.into_iter().take(8).map(|r| view! {
                                    <li class="task-item" class:late=r.overdue>
                                        <strong class="clip" title=r.tieu_de.clone()>{r.tieu_de.clone()}</strong>
                                        <span class="task-meta">
                                            {r.don_vi_ten} " · " {if r.overdue { t::OVERDUE } else { t::DUE }} " "
                                            {text::format_date(&r.han_hoan_thanh)} " · " {format!("{}%", r.tien_do)}
                                        </span>
                                    </li>
                                }).collect_view()}
                            </ul>
                            <a href=href.clone()>{t::AREA_ALL}</a>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}
