//! The home page: national headline figures read from the store.

use crate::components::error_list::ErrorList;
use crate::components::kpi_card::KpiCard;
use crate::error::AppError;
use crate::text;
use crate::wire::resource;
use crate::wire::NationalTotals;
use leptos::prelude::*;

/// Reads the national headline figures.
///
/// # Errors
/// [`AppError::Unavailable`] when the store cannot answer.
#[server]
pub async fn load_national_totals() -> Result<NationalTotals, AppError> {
    let state = crate::ssr::app_state()?;
    state.data.national_totals().await
}

/// `/`: the national overview.
#[component]
pub fn HomePage() -> impl IntoView {
    let refreshes = RwSignal::new(0u32);
    let totals = resource(move || refreshes.get(), |_| load_national_totals());
    view! {
        <main class="page">
            <header class="page-header">
                <p class="brand">{text::APP_SHORT}</p>
                <h1>{text::APP_NAME}</h1>
            </header>
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

/// The grid of headline figures.
#[component]
fn NationalTotalsGrid(totals: NationalTotals) -> impl IntoView {
    let Some(as_of) = totals.as_of.clone() else {
        return view! { <p class="empty" role="status">{text::HOME_EMPTY}</p> }.into_any();
    };
    view! {
        <p class="as-of">{text::HOME_AS_OF} " " <time datetime=as_of.clone()>{text::format_date(&as_of)}</time></p>
        <dl class="kpi-grid" aria-label=text::HOME_TOTALS_LABEL>
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
        </dl>
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
