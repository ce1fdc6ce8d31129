//! The leadership's home (`/`): what needs attention today — the weakest provinces, the
//! provinces whose overdue count rose since yesterday, the overdue tasks and the newest alerts
//! — then the national headline figures. Other roles are sent to their own home by the server
//! (`nav::home`).

use crate::components::error_list::ErrorList;
use crate::components::kpi_card::KpiCard;
use crate::error::AppError;
use crate::text::{self, nav as tn};
use crate::wire::dash::{Attention, UnitKpi};
use crate::wire::resource;
use crate::wire::NationalTotals;
use leptos::prelude::*;
use leptos_meta::Stylesheet;

/// Reads the national headline figures.
///
/// # Errors
/// [`AppError::Forbidden`] below the national scope, [`AppError::Unavailable`] when the store
/// cannot answer.
#[server]
pub async fn load_national_totals() -> Result<NationalTotals, AppError> {
    use crate::ssr::{app_state, current_scope, with_status};
    crate::dash::require(&current_scope().await?, None, None, None).map_err(with_status)?;
    app_state()?.data.national_totals().await
}

/// Reads what needs attention today; `None` while there is no KPI snapshot to read (a store
/// without data: the page then says so below).
///
/// # Errors
/// [`AppError::Forbidden`] below the national scope.
#[server]
pub async fn load_attention() -> Result<Option<Attention>, AppError> {
    use crate::ssr::{app_state, current_scope, with_status};
    crate::dash::require(&current_scope().await?, None, None, None).map_err(with_status)?;
    let Ok(d) = app_state()?.data.dashboard().await else {
        return Ok(None);
    };
    let since = crate::auth::ssr::previous_visit_us().await;
    Ok(Some(crate::dash::attention(&d, since)))
}

/// `/`: the leadership's home.
#[component]
pub fn HomePage() -> impl IntoView {
    let refreshes = RwSignal::new(0u32);
    let totals = resource(move || refreshes.get(), |_| load_national_totals());
    let attention = resource(move || refreshes.get(), |_| load_attention());
    view! {
        <Stylesheet id="dash" href="/pkg/dash.css"/>
        <main id="noi-dung" class="page home">
            <header class="page-header">
                <p class="brand">{text::APP_SHORT}</p>
                <h1>{text::APP_NAME}</h1>
            </header>
            <section aria-labelledby="attention-heading">
                <h2 id="attention-heading">{tn::ATTENTION_HEADING}</h2>
                <Transition fallback=|| view! { <p>{text::LOADING}</p> }>
                    <ErrorBoundary fallback=|errors| view! { <ErrorList errors/> }>
                        {move || attention.get().map(|r| r.map(|a| a.map(|a| view! { <AttentionGrid a/> })))}
                    </ErrorBoundary>
                </Transition>
            </section>
            <section aria-labelledby="home-heading">
                <h2 id="home-heading">{text::HOME_HEADING}</h2>
                <Transition fallback=|| view! { <p>{text::LOADING}</p> }>
                    <ErrorBoundary fallback=|errors| view! { <ErrorList errors/> }>
                        {move || totals.get().map(|r| r.map(|t| view! { <NationalTotalsGrid totals=t/> }))}
                    </ErrorBoundary>
                </Transition>
                <RefreshControl refreshes/>
            </section>
        </main>
    }
}

fn rate(u: &UnitKpi) -> String {
    u.done_rate_cases.map_or_else(
        || text::dash::NO_DATA.to_string(),
        |r| format!("{} %", text::format_decimal(r, 2)),
    )
}

/// The four lists of what needs attention, each with a way further.
#[component]
fn AttentionGrid(a: Attention) -> impl IntoView {
    let province = |u: &UnitKpi| format!("/tinh/{}", u.key);
    let weakest = a
        .weakest
        .iter()
        .map(|u| view! { <li><a href=province(u)>{u.name.clone()}</a> " " <span class="num">{rate(u)}</span></li> })
        .collect_view();
    let breaches = match a.breaches {
        None => view! { <p class="empty">{tn::BREACHES_UNKNOWN}</p> }.into_any(),
        Some(v) if v.is_empty() => view! { <p class="empty">{tn::BREACHES_NONE}</p> }.into_any(),
        Some(v) => view! {
            <ul class="attention-list">
                {v.into_iter().map(|(u, rise)| view! {
                    <li><a href=province(&u)>{u.name.clone()}</a> " " <span class="num bad">{format!("+{}", text::format_int(i64::try_from(rise).unwrap_or(i64::MAX)))}</span></li>
                }).collect_view()}
            </ul>
        }.into_any(),
    };
    let tasks = if a.tasks_late.is_empty() {
        view! { <p class="empty">{tn::TASKS_LATE_NONE}</p> }.into_any()
    } else {
        view! {
            <p class="muted">{format!("{} {}", text::format_int(i64::try_from(a.tasks_late_total).unwrap_or(i64::MAX)), tn::TASKS_OVERDUE)}</p>
            <ul class="attention-list">
                {a.tasks_late.into_iter().map(|t| view! {
                    <li><span class="clip" title=t.title.clone()>{t.title.clone()}</span>
                        <span class="muted">{t.unit} " · " {text::format_date(&t.due)}</span></li>
                }).collect_view()}
            </ul>
        }.into_any()
    };
    let alerts_heading = if a.alerts_since_visit {
        tn::ALERTS_SINCE_VISIT
    } else {
        tn::ALERTS_HEADING
    };
    let alerts = if a.alerts.is_empty() {
        view! { <p class="empty">{tn::ALERTS_NONE}</p> }.into_any()
    } else {
        view! {
            <ul class="attention-list">
                {a.alerts.into_iter().map(|al| view! {
                    <li><strong>{al.title}</strong> " · " {al.ten_tinh}
                        <span class="muted clip" title=al.detail.clone()>{al.detail.clone()}</span></li>
                }).collect_view()}
            </ul>
        }.into_any()
    };
    view! {
        <p class="as-of">{text::HOME_AS_OF} " " <time datetime=a.as_of.clone()>{text::format_date(&a.as_of)}</time></p>
        <div class="attention">
            <section class="attention-card" aria-labelledby="att-weakest">
                <h3 id="att-weakest">{tn::WEAKEST_HEADING}</h3>
                <ol class="attention-list">{weakest}</ol>
                <a href="/ca-nuoc">{tn::TO_COUNTRY}</a>
            </section>
            <section class="attention-card" aria-labelledby="att-breaches">
                <h3 id="att-breaches">{tn::BREACHES_HEADING}</h3>
                {breaches}
            </section>
            <section class="attention-card" aria-labelledby="att-tasks">
                <h3 id="att-tasks">{tn::TASKS_LATE_HEADING}</h3>
                {tasks}
                <a href="/nhiem-vu?qua_han=1">{tn::ALL_TASKS}</a>
            </section>
            <section class="attention-card" aria-labelledby="att-alerts">
                <h3 id="att-alerts">{alerts_heading}</h3>
                {alerts}
            </section>
        </div>
    }
}

/// The grid of headline figures.
#[component]
fn NationalTotalsGrid(totals: NationalTotals) -> impl IntoView {
    let Some(as_of) = totals.as_of.clone() else {
        return view! { <p class="empty" role="status">{text::HOME_EMPTY}</p> }.into_any();
    };
    view! {
        <p class="as-of">{text::HOME_AS_OF} " " <time datetime=as_of.clone()>{text::format_date(&as_of)}</time></p>
        <div class="kpi-grid" role="group" aria-label=text::HOME_TOTALS_LABEL>
            <KpiCard label=text::HOME_PROVINCES value=text::format_int(totals.provinces)/>
            <KpiCard label=text::HOME_OFFICES value=text::format_int(totals.regional_offices)/>
            <KpiCard label=text::HOME_OFFICERS value=text::format_int(totals.active_officers)/>
            <KpiCard label=text::HOME_CASES value=text::format_int(totals.cases)/>
            <KpiCard label=text::HOME_BACKLOG value=text::format_int(totals.open_cases)/>
            <KpiCard
                label=text::HOME_RECEIPTS
                value=text::ty_dong_number(totals.receipts_dong)
                unit=text::UNIT_TY_DONG
            />
        </div>
    }
    .into_any()
}

/// A button that re-reads the figures; it only works once the page is hydrated.
#[component]
fn RefreshControl(refreshes: RwSignal<u32>) -> impl IntoView {
    view! {
        <div class="refresh">
            <button type="button" on:click=move |_| refreshes.update(|n| *n += 1)>
                {text::HOME_REFRESH}
            </button>
            <span role="status" aria-live="polite">
                {move || match refreshes.get() {
                    0 => String::new(),
                    n => format!("{} {n} {}", text::HOME_REFRESHED, text::HOME_TIMES),
                }}
            </span>
        </div>
    }
}
