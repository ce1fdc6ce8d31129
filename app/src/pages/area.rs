//! `/ca-nuoc` (national view for leadership) and `/tinh/:ma_tinh` (a provincial head's view):
//! KPIs against the country and the target, the units one level down ranked, the officers'
//! workload and the overdue list; every name links one level further down.

use crate::components::error_list::ErrorList;
use crate::components::site_header::may_follow;
use crate::error::AppError;
use crate::pages::overdue::OverdueSection;
use crate::pages::tasks::UnitTasks;
use crate::pages::wall::RuleTable;
use crate::text::{self, dash as t};
use crate::wire::dash::{AreaView, OverdueQuery, UnitKpi};
use crate::wire::resource;
use leptos::prelude::*;
use leptos_meta::{Stylesheet, Title};
use leptos_router::hooks::use_params_map;

/// The national view (`ma_tinh = None`) or a province's, from the latest KPI snapshot.
///
/// # Errors
/// [`AppError::Forbidden`] outside the caller's scope, [`AppError::NotFound`] for an unknown
/// province, [`AppError::Unavailable`] while no snapshot can be read.
#[server]
pub async fn load_area(ma_tinh: Option<String>) -> Result<AreaView, AppError> {
    use crate::ssr::{app_state, current_scope, with_status};
    let scope = current_scope().await?;
    crate::dash::require(&scope, ma_tinh.as_deref(), None, None).map_err(with_status)?;
    let d = app_state()?.data.dashboard().await.map_err(with_status)?;
    crate::dash::area(&d, ma_tinh.as_deref()).map_err(with_status)
}

/// `/ca-nuoc`.
#[component]
pub fn CountryPage() -> impl IntoView {
    view! { <AreaPage ma_tinh=Signal::derive(|| None)/> }
}

/// `/tinh/:ma_tinh`.
#[component]
pub fn ProvincePage() -> impl IntoView {
    let params = use_params_map();
    let ma_tinh = Signal::derive(move || params.get().get("ma_tinh"));
    view! { <AreaPage ma_tinh/> }
}

#[component]
fn AreaPage(ma_tinh: Signal<Option<String>>) -> impl IntoView {
    let data = resource(move || ma_tinh.get(), load_area);
    view! {
        <Stylesheet id="dash" href="/pkg/dash.css"/>
        <main id="noi-dung" class="page area">
            <Transition fallback=|| view! { <p>{text::LOADING}</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorList errors/> }>
                    {move || data.get().map(|r| r.map(|a| view! { <AreaBody a/> }))}
                </ErrorBoundary>
            </Transition>
        </main>
    }
}

/// Breadcrumbs: country › province › office › officer. They start at the first level the
/// caller may open (a provincial head's start at their province); a level in between that the
/// caller may not open is shown without a link; a trail of the page alone is not shown.
#[component]
pub fn Crumbs(items: Vec<(String, Option<String>)>) -> impl IntoView {
    let items: Vec<(String, Option<String>)> = items
        .into_iter()
        .map(|(label, href)| (label, href.filter(|h| may_follow(h))))
        .collect();
    let first = items.iter().position(|(_, href)| href.is_some());
    let Some(first) = first else {
        return ().into_any();
    };
    view! {
        <nav class="crumbs" aria-label=t::NAV_LABEL>
            <ol>
                {items[first..]
                    .iter()
                    .cloned()
                    .enumerate()
                    .map(|(i, (label, href))| match href {
                        Some(href) => view! { <li><a href=href>{label}</a></li> }.into_any(),
                        None if i + first + 1 == items.len() => view! { <li aria-current="page">{label}</li> }.into_any(),
                        None => view! { <li>{label}</li> }.into_any(),
                    })
                    .collect_view()}
            </ol>
        </nav>
    }
    .into_any()
}

fn rate(x: Option<f64>) -> String {
    x.map_or_else(|| t::NO_DATA.to_string(), |r| text::format_decimal(r, 2))
}

fn int(n: u64) -> String {
    text::format_int(i64::try_from(n).unwrap_or(i64::MAX))
}

fn meets(m: Option<bool>) -> &'static str {
    match m {
        Some(true) => t::YES,
        Some(false) => t::NO,
        None => t::NO_DATA,
    }
}

#[component]
fn AreaBody(a: AreaView) -> impl IntoView {
    let heading = a.unit.name.clone();
    let mut crumbs = vec![(t::NAV_WALL.to_string(), Some("/man-hinh".to_string()))];
    match &a.ma_tinh {
        None => crumbs.push((t::NAV_COUNTRY.to_string(), None)),
        Some(_) => {
            crumbs.push((t::NAV_COUNTRY.to_string(), Some("/ca-nuoc".to_string())));
            crumbs.push((heading.clone(), None));
        }
    }
    let rank_title = if a.ma_tinh.is_some() {
        t::RANK_OFFICES
    } else {
        t::RANK_PROVINCES
    };
    let child_href = |u: &UnitKpi| -> String {
        match (u.don_vi_id, &u.ma_tinh) {
            (Some(id), _) => format!("/don-vi/{id}"),
            (None, Some(code)) => format!("/tinh/{code}"),
            _ => String::new(),
        }
    };
    let children: Vec<(String, UnitKpi)> = a
        .children
        .iter()
        .map(|u| (child_href(u), u.clone()))
        .collect();
    let officers_note = format!(
        "{} {} {} {} {}",
        t::OFFICERS_SHOWN,
        a.officers.len(),
        t::OFFICERS_OF,
        text::format_int(i64::try_from(a.officers_total).unwrap_or(i64::MAX)),
        t::OFFICERS_NOTE
    );
    let base = match &a.ma_tinh {
        Some(code) => format!("/tinh/{code}"),
        None => "/ca-nuoc".to_string(),
    };
    let fixed = OverdueQuery {
        tinh: a.ma_tinh.clone(),
        ..Default::default()
    };
    let as_of = format!("{} {}", t::WALL_AS_OF, text::format_date(&a.as_of));
    let provinces: Vec<(String, String)> = if a.ma_tinh.is_none() {
        let mut v: Vec<(String, String)> = a
            .children
            .iter()
            .filter_map(|u| Some((u.ma_tinh.clone()?, u.name.clone())))
            .collect();
        v.sort();
        v
    } else {
        Vec::new()
    };
    view! {
        <Title text=format!("{heading} — {}", text::APP_SHORT)/>
        <Crumbs items=crumbs/>
        <header class="page-header">
            <p class="brand">{text::APP_SHORT}</p>
            <h1>{heading}</h1>
            <p class="as-of">{as_of} " · " {t::WALL_YEAR} " " {a.year}</p>
            {a.ma_tinh.clone().map(|code| view! {
                <p><a class="ask-from-area" href=format!("/hoi-dap?tinh={code}")>{text::ask::FROM_PROVINCE}</a></p>
            })}
        </header>
        <div class="area-top">
            // The country is compared with its target only: beside itself it would repeat.
            <KpiCompareTable unit=a.unit.clone() compare=a.ma_tinh.is_some().then(|| a.national.clone())/>
            <figure class="area-chart" role="img" aria-label=t::CHART_RATE_ALT inner_html=a.chart_svg.clone()></figure>
        </div>
        <section aria-labelledby="rank-title">
            <h2 id="rank-title">{rank_title}</h2>
            <RankTable caption=rank_title rows=children/>
        </section>
        <section aria-labelledby="officers-title">
            <h2 id="officers-title">{t::OFFICERS_HEADING}</h2>
            <p class="muted">{officers_note}</p>
            <OfficerTable rows=a.officers.clone() show_office=true/>
        </section>
        <section aria-labelledby="rules-title">
            <h2 id="rules-title">{t::RULES_HEADING}</h2>
            <RuleTable rules=a.overdue_rules.clone()/>
        </section>
        {a.ma_tinh.clone().map(|ma_tinh| view! { <UnitTasks unit=Some(format!("T{ma_tinh}")) heading=crate::text::tasks::AREA_HEADING/> })}
        <OverdueSection
            base=base
            fixed=fixed
            offices=a.offices.clone()
            provinces=provinces
            rules=a.overdue_rules.clone()
        />
    }
}

/// A unit's KPIs beside the unit it is compared with (the country for a province, the
/// province for an office, the office for an officer; none for the country) and the target.
#[component]
pub fn KpiCompareTable(unit: UnitKpi, compare: Option<UnitKpi>) -> impl IntoView {
    let with = compare.is_some();
    let caption = compare.as_ref().map_or_else(
        || t::AREA_KPIS_ALONE.to_string(),
        |c| format!("{} {} {}", t::AREA_KPIS_BEFORE, c.name, t::AREA_KPIS_AFTER),
    );
    let compare_name = compare.as_ref().map(|c| c.name.clone());
    let national = compare.unwrap_or_default();
    let money = |x: i64| text::ty_dong_number(x);
    let per_officer =
        |x: Option<f64>| x.map_or_else(|| t::NO_DATA.to_string(), |v| text::format_decimal(v, 1));
    let rows: Vec<(&'static str, String, String, String)> = vec![
        (
            t::ROW_RATE_CASES,
            rate(unit.done_rate_cases),
            rate(national.done_rate_cases),
            rate(unit.target_rate_cases),
        ),
        (
            t::ROW_RATE_MONEY,
            rate(unit.done_rate_money),
            rate(national.done_rate_money),
            rate(unit.target_rate_money),
        ),
        (
            t::ROW_WITH_CONDITIONS,
            int(unit.cases_with_conditions),
            int(national.cases_with_conditions),
            String::new(),
        ),
        (
            t::ROW_DONE,
            int(unit.cases_done),
            int(national.cases_done),
            String::new(),
        ),
        (
            t::ROW_MONEY_DONE,
            money(unit.money_done),
            money(national.money_done),
            String::new(),
        ),
        (
            t::ROW_BACKLOG,
            int(unit.backlog),
            int(national.backlog),
            String::new(),
        ),
        (
            t::ROW_OVERDUE,
            int(unit.overdue_total),
            int(national.overdue_total),
            String::new(),
        ),
        (
            t::ROW_NEW,
            int(unit.cases_new),
            int(national.cases_new),
            String::new(),
        ),
        (
            t::ROW_OFFICERS,
            int(unit.officers),
            int(national.officers),
            String::new(),
        ),
        (
            t::ROW_PER_OFFICER,
            per_officer(unit.done_per_officer),
            per_officer(national.done_per_officer),
            String::new(),
        ),
    ];
    view! {
        <table class="compare">
            <caption>{caption}</caption>
            <thead>
                <tr>
                    <th scope="col">{t::COL_INDICATOR}</th>
                    <th scope="col">{unit.name.clone()}</th>
                    {compare_name.map(|n| view! { <th scope="col">{n}</th> })}
                    <th scope="col">{t::COL_TARGET}</th>
                </tr>
            </thead>
            <tbody>
                {rows
                    .into_iter()
                    .map(|(label, own, country, target)| {
                        view! {
                            <tr>
                                <th scope="row">{label}</th>
                                <td class="num">{own}</td>
                                {with.then(|| view! { <td class="num">{country}</td> })}
                                <td class="num">{target}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

/// Units ranked by completion (cases), best first.
#[component]
pub fn RankTable(caption: &'static str, rows: Vec<(String, UnitKpi)>) -> impl IntoView {
    view! {
        <table class="rank">
            <caption class="sr-only">{caption}</caption>
            <thead>
                <tr>
                    <th scope="col">{t::COL_RANK}</th>
                    <th scope="col">{t::COL_NAME}</th>
                    <th scope="col">{t::COL_RATE_CASES}</th>
                    <th scope="col">{t::COL_RATE_MONEY}</th>
                    <th scope="col">{t::COL_BACKLOG}</th>
                    <th scope="col">{t::COL_OVERDUE}</th>
                    <th scope="col">{t::COL_MEETS}</th>
                </tr>
            </thead>
            <tbody>
                {rows
                    .into_iter()
                    .enumerate()
                    .map(|(i, (href, u))| {
                        let class = match u.meets_target {
                            Some(true) => "good",
                            Some(false) => "bad",
                            None => "",
                        };
                        view! {
                            <tr>
                                <td class="num">{i + 1}</td>
                                <th scope="row"><a href=href>{u.name}</a></th>
                                <td class="num">{rate(u.done_rate_cases)}</td>
                                <td class="num">{rate(u.done_rate_money)}</td>
                                <td class="num">{int(u.backlog)}</td>
                                <td class="num">{int(u.overdue_total)}</td>
                                <td class=class>{meets(u.meets_target)}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

/// Officers' workload.
#[component]
pub fn OfficerTable(rows: Vec<UnitKpi>, show_office: bool) -> impl IntoView {
    view! {
        <table class="officers">
            <caption class="sr-only">{t::OFFICERS_HEADING}</caption>
            <thead>
                <tr>
                    <th scope="col">{t::COL_OFFICER}</th>
                    {show_office.then(|| view! { <th scope="col">{t::COL_OFFICE}</th> })}
                    <th scope="col">{t::COL_BACKLOG}</th>
                    <th scope="col">{t::COL_DONE}</th>
                    <th scope="col">{t::COL_RATE_CASES}</th>
                    <th scope="col">{t::COL_OVERDUE}</th>
                </tr>
            </thead>
            <tbody>
                {rows
                    .into_iter()
                    .map(|u| {
                        let href = u.can_bo_id.map(|id| format!("/can-bo/{id}")).unwrap_or_default();
                        let office_href = u.don_vi_id.map(|id| format!("/don-vi/{id}")).unwrap_or_default();
                        let office = u.parent.clone();
                        view! {
                            <tr>
                                <th scope="row"><a href=href>{u.name}</a></th>
                                {show_office.then(|| view! { <td><a href=office_href>{office}</a></td> })}
                                <td class="num">{int(u.backlog)}</td>
                                <td class="num">{int(u.cases_done)}</td>
                                <td class="num">{rate(u.done_rate_cases)}</td>
                                <td class="num">{int(u.overdue_total)}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
