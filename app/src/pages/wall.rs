//! `/man-hinh`: the wall display of the operations room (1920×1080 or 4K, read from 5 m, no
//! keyboard or mouse). National KPI cards, the province cartogram, rotating panels (trend
//! charts, weakest provinces, overdue rules), live alerts and open tasks. The first paint is
//! complete without JavaScript; once hydrated, every `kpi` event of `/api/live` re-reads the
//! figures (no reload), and a banner says when the connection is lost.

use crate::components::cartogram::ProvinceCartogram;
use crate::components::error_list::ErrorList;
use crate::components::live::{use_live, Live, LiveBanner, LiveStatus};
use crate::error::AppError;
use crate::text::{self, dash as t};
use crate::wire::dash::{KpiChanges, RuleCount, TaskItem, UnitKpi, WallData};
use crate::wire::resource;
use leptos::prelude::*;
use leptos_meta::{Stylesheet, Title};

/// Panels that rotate in the middle of the wall.
const PANELS: usize = 4;
/// Seconds each panel stays.
const PANEL_SECONDS: u64 = 15;

/// The wall display's figures, from the latest KPI snapshot.
///
/// # Errors
/// [`AppError::Forbidden`] for a scope below national; [`AppError::Unavailable`] while no
/// snapshot can be read.
#[server]
pub async fn load_wall() -> Result<WallData, AppError> {
    use crate::ssr::{app_state, current_scope, with_status};
    let scope = current_scope().await?;
    crate::dash::require(&scope, None, None, None).map_err(with_status)?;
    let d = app_state()?.data.dashboard().await.map_err(with_status)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(0));
    Ok(crate::dash::wall(&d, now))
}

/// `/man-hinh`.
#[component]
pub fn WallPage() -> impl IntoView {
    let live = use_live();
    let data = resource(move || live.updates.get(), |_| load_wall());
    let panel = RwSignal::new(0usize);
    Effect::new(move |_| {
        set_interval(
            move || panel.update(|p| *p = (*p + 1) % PANELS),
            std::time::Duration::from_secs(PANEL_SECONDS),
        );
    });
    view! {
        <Title text=t::WALL_TITLE/>
        <Stylesheet id="dash" href="/pkg/dash.css"/>
        <main id="noi-dung" class="wall" aria-label=t::WALL_TITLE>
            <LiveBanner live/>
            <Transition fallback=|| view! { <p class="wall-loading">{text::LOADING}</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorList errors/> }>
                    // The loading state and errors; the board itself is built once and each of
                    // its parts re-reads the figures (see `WallBoard`).
                    {move || data.get().map(|r| r.map(|_| ()))}
                    <WallBoard data live panel/>
                </ErrorBoundary>
            </Transition>
        </main>
    }
}

/// The wall page's figures, re-read at every KPI version.
type WallResource = Resource<Result<WallData, AppError>, crate::wire::Json>;

/// `f` of the latest figures, tracked (`None` while loading or after an error).
fn figures<T>(data: WallResource, f: impl FnOnce(&WallData) -> T) -> Option<T> {
    data.with(|r| r.as_ref().and_then(|r| r.as_ref().ok()).map(f))
}

/// The board, built once for the page's life: the parts that follow page-wide signals (panel
/// rotation, connection state, live alerts and tasks) are never rebuilt, and the parts rebuilt
/// at each version read only the figures. A part rebuilt per version that read a page-wide
/// signal would leave its subscription behind in that signal (Leptos keeps a dropped effect's
/// subscription until the effect reruns, which a dropped one never does): a leak of about
/// 1.4 KB per version, measured with `tests/e2e/soak.mjs`.
#[component]
fn WallBoard(data: WallResource, live: Live, panel: RwSignal<usize>) -> impl IntoView {
    view! {
        <header class="wall-header">
            <h1>{t::WALL_HEADING}</h1>
            {move || figures(data, |w| {
                let year_text = format!(
                    "{} {} · {} {}",
                    t::WALL_YEAR,
                    w.year,
                    t::WALL_AS_OF,
                    text::format_date(&w.as_of)
                );
                view! {
                    <p class="wall-sub">{year_text}</p>
                    <p class="wall-clock" role="status" data-version=w.version.to_string()>
                        {t::WALL_UPDATED} " " <time>{t::clock(w.read_at_ms)}</time>
                    </p>
                }
            })}
            <LiveStatus live/>
        </header>
        {move || figures(data, |w| view! {
            <KpiStrip national=w.national.clone() yesterday=w.yesterday.clone() changes=w.changes.clone()/>
        })}
        <div class="wall-body">
            <section class="wall-map" aria-label=t::MAP_TITLE>
                {move || figures(data, |w| view! { <ProvinceCartogram tiles=w.tiles.clone()/> })}
            </section>
            <section class="wall-rotator" aria-label=t::WALL_PANELS>
                <RotatingPanels data panel/>
            </section>
            <aside class="wall-side">
                <AlertTicker live/>
                <OpenTasks data live/>
            </aside>
        </div>
    }
}

/// One large card: label, value with unit, a comparison line and a change line.
#[component]
fn WallCard(
    label: &'static str,
    value: String,
    #[prop(optional)] unit: Option<&'static str>,
    #[prop(into)] sub: String,
    #[prop(into)] change: String,
    /// The change since yesterday (empty until the day before has been computed).
    #[prop(into)]
    daily: String,
    #[prop(optional, into)] tone: Option<&'static str>,
) -> impl IntoView {
    let class = format!("wall-card {}", tone.unwrap_or(""));
    view! {
        <div class=class role="group" aria-label=label>
            <dl class="card-terms">
                <dt class="wall-card-label">{label}</dt>
                <dd class="wall-card-value">
                    {value} {unit.map(|u| view! { " " <span class="wall-card-unit">{u}</span> })}
                </dd>
                <dd class="wall-card-sub">{sub}</dd>
                <dd class="wall-card-daily">{daily}</dd>
                <dd class="wall-card-change">{change}</dd>
            </dl>
        </div>
    }
}

fn rate(x: Option<f64>) -> String {
    x.map_or_else(|| t::NO_DATA.to_string(), |r| text::format_decimal(r, 2))
}

fn target_line(rate: Option<f64>, target: Option<f64>) -> String {
    match (rate, target) {
        (Some(r), Some(tg)) => {
            let gap = r - tg;
            let (word, n) = if gap >= 0.0 {
                (t::ABOVE_TARGET, gap)
            } else {
                (t::GAP_TO_TARGET, -gap)
            };
            format!(
                "{} {}% · {word} {}",
                t::TARGET,
                text::format_decimal(tg, 2),
                text::format_decimal(n, 2),
            )
        }
        (_, Some(tg)) => format!("{} {}%", t::TARGET, text::format_decimal(tg, 2)),
        _ => String::new(),
    }
}

fn tone(rate: Option<f64>, target: Option<f64>) -> &'static str {
    match (rate, target) {
        (Some(r), Some(tg)) if r >= tg => "tone-good",
        (Some(_), Some(_)) => "tone-bad",
        _ => "",
    }
}

fn month_pair(unit: &str, this: Option<u64>, last: Option<u64>) -> String {
    match (this, last) {
        (Some(a), Some(b)) => format!(
            "{} {} {unit} ({} {})",
            t::THIS_MONTH,
            text::format_int(i64::try_from(a).unwrap_or(i64::MAX)),
            t::LAST_MONTH,
            text::format_int(i64::try_from(b).unwrap_or(i64::MAX))
        ),
        (Some(a), None) => format!(
            "{} {} {unit}",
            t::THIS_MONTH,
            text::format_int(i64::try_from(a).unwrap_or(i64::MAX))
        ),
        _ => String::new(),
    }
}

fn int(n: u64) -> String {
    text::format_int(i64::try_from(n).unwrap_or(i64::MAX))
}

#[component]
fn KpiStrip(national: UnitKpi, yesterday: Option<UnitKpi>, changes: KpiChanges) -> impl IntoView {
    let n = national;
    let c = changes;
    let y = yesterday.as_ref();
    let daily_points = |now: Option<f64>, before: Option<f64>| match (now, before) {
        (Some(now), Some(before)) => format!(
            "{} {} {}",
            t::signed_points(now - before),
            t::POINTS,
            t::VS_YESTERDAY
        ),
        _ => String::new(),
    };
    let daily_count = |now: u64, before: Option<u64>| {
        before.map_or_else(String::new, |before| {
            let delta =
                i64::try_from(now).unwrap_or(i64::MAX) - i64::try_from(before).unwrap_or(i64::MAX);
            format!("{} {}", t::signed_count(delta), t::VS_YESTERDAY)
        })
    };
    let receipts_daily = y.map_or_else(String::new, |y| {
        format!(
            "{}: {} {} · {}",
            t::YESTERDAY,
            int(y.receipts_today),
            t::RECEIPTS_UNIT,
            text::format_ty_dong(y.receipts_today_amount)
        )
    });
    let rate_change = match (n.done_rate_cases, c.done_rate_cases_last_month) {
        (Some(now), Some(before)) => format!(
            "{} {} {}",
            t::signed_points(now - before),
            t::POINTS,
            t::VS_LAST_MONTH_END
        ),
        _ => String::new(),
    };
    let money_change = match (c.receipts_this_month, c.receipts_last_month) {
        (Some(a), Some(b)) => format!(
            "{} {} ({} {}) {}",
            t::COLLECTED,
            text::ty_dong_number(a),
            t::LAST_MONTH,
            text::ty_dong_number(b),
            text::UNIT_TY_DONG
        ),
        _ => String::new(),
    };
    let backlog_change = match (c.cases_new_this_month, c.cases_done_this_month) {
        (Some(a), Some(b)) => format!(
            "{}: +{} {}, −{} {}",
            t::THIS_MONTH,
            int(a),
            t::NEW_CASES,
            int(b),
            t::DONE_CASES
        ),
        _ => String::new(),
    };
    let receipts_sub = text::format_ty_dong(n.receipts_today_amount);
    let complaints_change = month_pair(
        t::PETITIONS_UNIT,
        c.complaints_this_month,
        c.complaints_last_month,
    );
    let complaints_change = complaints_change.replacen(t::THIS_MONTH, t::RECEIVED, 1);
    view! {
        <div class="wall-kpis" role="group" aria-label=t::WALL_KPIS aria-live="polite">
            <WallCard
                label=t::CARD_RATE_CASES
                value=rate(n.done_rate_cases)
                unit="%"
                sub=target_line(n.done_rate_cases, n.target_rate_cases)
                change=rate_change
                tone=tone(n.done_rate_cases, n.target_rate_cases)
                daily=daily_points(n.done_rate_cases, y.and_then(|y| y.done_rate_cases))
            />
            <WallCard
                label=t::CARD_RATE_MONEY
                value=rate(n.done_rate_money)
                unit="%"
                sub=target_line(n.done_rate_money, n.target_rate_money)
                change=money_change
                tone=tone(n.done_rate_money, n.target_rate_money)
                daily=daily_points(n.done_rate_money, y.and_then(|y| y.done_rate_money))
            />
            <WallCard
                label=t::CARD_BACKLOG
                value=int(n.backlog)
                unit=t::CASES_UNIT
                sub=String::new()
                change=backlog_change
                daily=daily_count(n.backlog, y.map(|y| y.backlog))
            />
            <WallCard
                label=t::CARD_OVERDUE
                value=int(n.overdue_total)
                sub=t::OVERDUE_RULES_NOTE
                change=String::new()
                tone="tone-bad"
                daily=daily_count(n.overdue_total, y.map(|y| y.overdue_total))
            />
            <WallCard
                label=t::CARD_RECEIPTS_TODAY
                value=int(n.receipts_today)
                unit=t::RECEIPTS_UNIT
                sub=receipts_sub
                change=String::new()
                daily=receipts_daily
            />
            <WallCard
                label=t::CARD_COMPLAINTS_OPEN
                value=int(n.complaints_open)
                unit=t::PETITIONS_UNIT
                sub=String::new()
                change=complaints_change
                daily=daily_count(n.complaints_open, y.map(|y| y.complaints_open))
            />
        </div>
    }
}

#[component]
fn RotatingPanels(data: WallResource, panel: RwSignal<usize>) -> impl IntoView {
    let titles = [
        t::WALL_PANEL_TREND,
        t::WALL_PANEL_MONEY,
        t::WALL_PANEL_WEAK,
        t::WALL_PANEL_RULES,
    ];
    view! {
        <ol class="panel-dots" aria-hidden="true">
            {titles
                .iter()
                .enumerate()
                .map(|(i, title)| {
                    view! {
                        <li class:active=move || panel.get() == i>{*title}</li>
                    }
                })
                .collect_view()}
        </ol>
        <div class="panel" id="panel-trend" hidden=move || panel.get() != 0>
            {move || figures(data, |w| view! {
                <figure role="img" aria-label=t::CHART_RATE_ALT inner_html=w.chart_cases_svg.clone()></figure>
            })}
        </div>
        <div class="panel" id="panel-money" hidden=move || panel.get() != 1>
            {move || figures(data, |w| view! {
                <figure role="img" aria-label=t::CHART_MONEY_ALT inner_html=w.chart_money_svg.clone()></figure>
            })}
        </div>
        <div class="panel" id="panel-weak" hidden=move || panel.get() != 2>
            <h2>{t::WALL_PANEL_WEAK}</h2>
            {move || figures(data, |w| view! { <WeakestTable rows=w.weakest.clone()/> })}
        </div>
        <div class="panel" id="panel-rules" hidden=move || panel.get() != 3>
            <h2>{t::WALL_PANEL_RULES}</h2>
            {move || figures(data, |w| view! { <RuleTable rules=w.overdue_rules.clone()/> })}
        </div>
    }
}

#[component]
fn WeakestTable(rows: Vec<UnitKpi>) -> impl IntoView {
    view! {
        <table class="wall-table">
            <caption class="sr-only">{t::WALL_PANEL_WEAK}</caption>
            <thead>
                <tr>
                    <th scope="col">{t::COL_NAME}</th>
                    <th scope="col">{t::COL_RATE_CASES}</th>
                    <th scope="col">{t::TARGET}</th>
                    <th scope="col">{t::COL_RATE_MONEY}</th>
                    <th scope="col">{t::COL_BACKLOG}</th>
                    <th scope="col">{t::COL_OVERDUE}</th>
                </tr>
            </thead>
            <tbody>
                {rows
                    .into_iter()
                    .map(|u| {
                        view! {
                            <tr>
                                <th scope="row">{u.name}</th>
                                <td class="num bad">{rate(u.done_rate_cases)} "%"</td>
                                <td class="num">{rate(u.target_rate_cases)} "%"</td>
                                <td class="num">{rate(u.done_rate_money)} "%"</td>
                                <td class="num">{int(u.backlog)}</td>
                                <td class="num">{int(u.overdue_total)}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

/// The overdue counts per rule (shared with the area views).
#[component]
pub fn RuleTable(rules: Vec<RuleCount>) -> impl IntoView {
    view! {
        <table class="rule-table">
            <caption class="sr-only">{t::RULES_HEADING}</caption>
            <thead>
                <tr>
                    <th scope="col">{t::COL_RULE}</th>
                    <th scope="col">{t::COL_NAME}</th>
                    <th scope="col">{t::COL_COUNT}</th>
                </tr>
            </thead>
            <tbody>
                {rules
                    .into_iter()
                    .map(|r| {
                        view! {
                            <tr>
                                <th scope="row">{r.code}</th>
                                <td>{r.label}</td>
                                <td class="num">{int(r.total)}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn AlertTicker(live: Live) -> impl IntoView {
    view! {
        <section class="alerts" aria-labelledby="alerts-title">
            <h2 id="alerts-title">{t::WALL_ALERTS}</h2>
            <div role="log" aria-live="polite">
            <ul class="alert-list">
                {move || {
                    let alerts = live.alerts.get();
                    if alerts.is_empty() {
                        view! { <li class="muted">{t::WALL_NO_ALERTS}</li> }.into_any()
                    } else {
                        alerts
                            .into_iter()
                            .map(|a| {
                                view! {
                                    <li class="alert-item">
                                        <strong>{a.title}</strong>
                                        <span class="alert-detail">{a.ten_tinh} " · " {a.detail}</span>
                                    </li>
                                }
                            })
                            .collect_view()
                            .into_any()
                    }
                }}
            </ul>
            </div>
        </section>
    }
}

fn task_line(task: TaskItem) -> impl IntoView {
    let due = format!(
        "{} {} · {}%",
        if task.overdue {
            t::WALL_TASK_LATE
        } else {
            t::WALL_TASK_DUE
        },
        text::format_date(&task.due),
        task.progress
    );
    view! {
        <li class="task-item" class:late=task.overdue>
            <strong>{task.title}</strong>
            <span class="task-meta">{task.unit} " · " {due}</span>
        </li>
    }
}

#[component]
fn OpenTasks(data: WallResource, live: Live) -> impl IntoView {
    let total = move || {
        figures(data, |w| {
            format!(
                "{}: {}",
                t::WALL_TASKS_TOTAL,
                text::format_int(i64::try_from(w.tasks_open).unwrap_or(i64::MAX))
            )
        })
    };
    view! {
        <section class="tasks" aria-labelledby="tasks-title">
            <h2 id="tasks-title">{t::WALL_TASKS}</h2>
            <p class="muted tasks-total">{total}</p>
            <ul class="task-list">
                {move || {
                    // Tasks pushed live come first, then the snapshot's earliest deadlines.
                    let mut all: Vec<TaskItem> = live.tasks.get().into_iter().collect();
                    for task in figures(data, |w| w.tasks.clone()).unwrap_or_default() {
                        if !all.iter().any(|x| x.id == task.id) {
                            all.push(task);
                        }
                    }
                    all.truncate(6);
                    if all.is_empty() {
                        view! { <li class="muted">{t::WALL_NO_TASKS}</li> }.into_any()
                    } else {
                        all.into_iter().map(task_line).collect_view().into_any()
                    }
                }}
            </ul>
        </section>
    }
}
