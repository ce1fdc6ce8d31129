//! The drill-down below a province: a regional office (`/don-vi/:id`), a chấp hành viên
//! (`/can-bo/:id`) and a case (`/viec/:id`) with its timeline. Each page checks the caller's
//! scope on the server, whatever link led there.

use crate::components::error_list::ErrorList;
use crate::error::AppError;
use crate::pages::area::{Crumbs, KpiCompareTable, OfficerTable};
use crate::pages::overdue::OverdueSection;
use crate::pages::tasks::UnitTasks;
use crate::text::{self, dash as t};
use crate::wire::dash::{CaseDetail, OfficeView, OfficerView, OverdueQuery, RuleCount};
use crate::wire::resource;
use leptos::prelude::*;
use leptos_meta::{Stylesheet, Title};
use leptos_router::hooks::{use_params_map, use_query_map};

#[cfg(feature = "ssr")]
fn rules_of(d: &crate::dash::Dashboard) -> Vec<RuleCount> {
    d.overdue
        .iter()
        .map(|r| RuleCount {
            code: r.code.clone(),
            label: r.label.clone(),
            total: 0,
        })
        .collect()
}

/// An office with its officers.
///
/// # Errors
/// [`AppError::NotFound`], [`AppError::Forbidden`] outside the caller's scope,
/// [`AppError::Unavailable`].
#[server]
pub async fn load_office(id: i64) -> Result<(OfficeView, Vec<RuleCount>), AppError> {
    use crate::ssr::{app_state, current_scope, with_status};
    let scope = current_scope().await?;
    let d = app_state()?.data.dashboard().await.map_err(with_status)?;
    let view = crate::dash::office(&d, id).map_err(with_status)?;
    crate::dash::require(&scope, view.unit.ma_tinh.as_deref(), Some(id), None)
        .map_err(with_status)?;
    Ok((view, rules_of(&d)))
}

/// An officer with one page of their open cases.
///
/// # Errors
/// [`AppError::NotFound`], [`AppError::Forbidden`] outside the caller's scope,
/// [`AppError::Unavailable`].
#[server]
pub async fn load_officer(id: i64, page: usize) -> Result<(OfficerView, Vec<RuleCount>), AppError> {
    use crate::ssr::{app_state, current_scope, with_status};
    let scope = current_scope().await?;
    let state = app_state()?;
    let d = state.data.dashboard().await.map_err(with_status)?;
    let unit = d
        .officers
        .iter()
        .find(|o| o.can_bo_id == Some(id))
        .cloned()
        .ok_or(AppError::NotFound)
        .map_err(with_status)?;
    crate::dash::require(&scope, unit.ma_tinh.as_deref(), unit.don_vi_id, Some(id))
        .map_err(with_status)?;
    let office = d
        .offices
        .iter()
        .find(|o| o.don_vi_id == unit.don_vi_id)
        .cloned()
        .unwrap_or_default();
    let page = page.max(1);
    let (total, cases) = state
        .data
        .officer_cases(id, page)
        .await
        .map_err(with_status)?;
    Ok((
        OfficerView {
            as_of: d.as_of.clone(),
            province_name: office.parent.clone(),
            unit,
            office,
            open_cases_total: total,
            page,
            open_cases: cases,
        },
        rules_of(&d),
    ))
}

/// A case and its timeline.
///
/// # Errors
/// [`AppError::NotFound`], [`AppError::Forbidden`] outside the caller's scope,
/// [`AppError::Unavailable`].
#[server]
pub async fn load_case(id: i64) -> Result<CaseDetail, AppError> {
    use crate::ssr::{app_state, current_scope, with_status};
    let scope = current_scope().await?;
    let case = app_state()?
        .data
        .case_detail(id)
        .await
        .map_err(with_status)?
        .ok_or(AppError::NotFound)
        .map_err(with_status)?;
    crate::dash::require(
        &scope,
        Some(&case.ma_tinh),
        Some(case.don_vi_id),
        case.can_bo_id,
    )
    .map_err(with_status)?;
    Ok(case)
}

fn id_param(name: &'static str) -> Signal<i64> {
    let params = use_params_map();
    Signal::derive(move || {
        params
            .get()
            .get(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    })
}

/// `/don-vi/:id`.
#[component]
pub fn OfficePage() -> impl IntoView {
    let id = id_param("id");
    let data = resource(move || id.get(), load_office);
    view! {
        <Stylesheet id="dash" href="/pkg/dash.css"/>
        <main id="noi-dung" class="page area">
            <Transition fallback=|| view! { <p>{text::LOADING}</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorList errors/> }>
                    {move || data.get().map(|r| r.map(|(o, rules)| view! { <OfficeBody o rules/> }))}
                </ErrorBoundary>
            </Transition>
        </main>
    }
}

#[component]
fn OfficeBody(o: OfficeView, rules: Vec<RuleCount>) -> impl IntoView {
    let id = o.unit.don_vi_id.unwrap_or(0);
    let ma_tinh = o.unit.ma_tinh.clone().unwrap_or_default();
    let crumbs = vec![
        (t::NAV_COUNTRY.to_string(), Some("/ca-nuoc".to_string())),
        (o.province.name.clone(), Some(format!("/tinh/{ma_tinh}"))),
        (o.unit.name.clone(), None),
    ];
    let fixed = OverdueQuery {
        tinh: Some(ma_tinh),
        don_vi: Some(id),
        ..Default::default()
    };
    let as_of = format!("{} {}", t::WALL_AS_OF, text::format_date(&o.as_of));
    view! {
        <Title text=format!("{} — {}", o.unit.name, text::APP_SHORT)/>
        <Crumbs items=crumbs/>
        <header class="page-header">
            <p class="brand">{text::APP_SHORT}</p>
            <h1>{o.unit.name.clone()}</h1>
            <p class="as-of">{as_of}</p>
        </header>
        <KpiCompareTable unit=o.unit.clone() compare=Some(o.province.clone())/>
        <section aria-labelledby="officers-title">
            <h2 id="officers-title">{t::OFFICE_OFFICERS}</h2>
            <OfficerTable rows=o.officers.clone() show_office=false/>
        </section>
        <OverdueSection base=format!("/don-vi/{id}") fixed rules/>
    }
}

/// Which page shows an officer: anyone's `/can-bo/:id`, or the officer's own "Việc của tôi".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OfficerPageKind {
    Officer,
    Mine,
}

/// A chấp hành viên's own cases and tasks: [`load_officer`] of the caller.
///
/// # Errors
/// [`AppError::Forbidden`] for anyone but a chấp hành viên, and those of [`load_officer`].
#[server]
pub async fn load_my_work(page: usize) -> Result<(OfficerView, Vec<RuleCount>), AppError> {
    use crate::ssr::{current_scope, with_status};
    match current_scope().await? {
        queries::Scope::Officer { can_bo_id, .. } => load_officer(can_bo_id, page).await,
        _ => Err(with_status(AppError::Forbidden(t::FORBIDDEN.to_string()))),
    }
}

fn case_page_param() -> Signal<usize> {
    let query = use_query_map();
    Signal::derive(move || {
        query
            .get()
            .get("trang_viec")
            .and_then(|v| v.parse().ok())
            .unwrap_or(1usize)
    })
}

/// `/can-bo/:id`.
#[component]
pub fn OfficerPage() -> impl IntoView {
    let id = id_param("id");
    let page = case_page_param();
    let data = resource(
        move || (id.get(), page.get()),
        |(id, page)| load_officer(id, page),
    );
    view! {
        <Stylesheet id="dash" href="/pkg/dash.css"/>
        <main id="noi-dung" class="page area">
            <Transition fallback=|| view! { <p>{text::LOADING}</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorList errors/> }>
                    {move || data.get().map(|r| r.map(|(o, rules)| view! { <OfficerBody o rules kind=OfficerPageKind::Officer/> }))}
                </ErrorBoundary>
            </Transition>
        </main>
    }
}

/// `/viec-cua-toi`: a chấp hành viên's landing page — their tasks, their cases in breach of a
/// deadline, then all their open cases, oldest first.
#[component]
pub fn MyWorkPage() -> impl IntoView {
    let page = case_page_param();
    let data = resource(move || page.get(), load_my_work);
    view! {
        <Stylesheet id="dash" href="/pkg/dash.css"/>
        <Title text=text::nav::MY_WORK_TITLE/>
        <main id="noi-dung" class="page area">
            <Transition fallback=|| view! { <p>{text::LOADING}</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorList errors/> }>
                    {move || data.get().map(|r| r.map(|(o, rules)| view! { <OfficerBody o rules kind=OfficerPageKind::Mine/> }))}
                </ErrorBoundary>
            </Transition>
        </main>
    }
}

#[component]
fn OfficerBody(o: OfficerView, rules: Vec<RuleCount>, kind: OfficerPageKind) -> impl IntoView {
    let id = o.unit.can_bo_id.unwrap_or(0);
    let ma_tinh = o.unit.ma_tinh.clone().unwrap_or_default();
    let office_id = o.unit.don_vi_id.unwrap_or(0);
    let mine = kind == OfficerPageKind::Mine;
    let base = if mine {
        "/viec-cua-toi".to_string()
    } else {
        format!("/can-bo/{id}")
    };
    let crumbs = vec![
        (t::NAV_COUNTRY.to_string(), Some("/ca-nuoc".to_string())),
        (o.province_name.clone(), Some(format!("/tinh/{ma_tinh}"))),
        (o.office.name.clone(), Some(format!("/don-vi/{office_id}"))),
        (o.unit.name.clone(), None),
    ];
    let fixed = OverdueQuery {
        tinh: Some(ma_tinh),
        don_vi: Some(office_id),
        can_bo: Some(id),
        ..Default::default()
    };
    let pages = o.open_cases_total.div_ceil(OverdueQuery::PAGE_SIZE).max(1);
    let pager_text = format!("{} {} {} {}", t::PAGE, o.page, t::PAGE_OF, pages);
    let prev = (o.page > 1).then(|| format!("{base}?trang_viec={}", o.page - 1));
    let next = (o.page < pages).then(|| format!("{base}?trang_viec={}", o.page + 1));
    let count = format!(
        "{} {} {}",
        t::OVERDUE_TOTAL,
        text::format_int(i64::try_from(o.open_cases_total).unwrap_or(i64::MAX)),
        t::CASES_UNIT
    );
    let as_of = format!("{} {}", t::WALL_AS_OF, text::format_date(&o.as_of));
    let heading = if mine {
        text::nav::MY_WORK.to_string()
    } else {
        o.unit.name.clone()
    };
    let subtitle = if mine {
        format!("{} · {} · {as_of}", o.unit.name, o.office.name)
    } else {
        format!("{} · {} · {as_of}", t::COL_OFFICER, o.office.name)
    };
    let cases = view! {
        <section aria-labelledby="cases-title">
            <h2 id="cases-title">{t::OFFICER_CASES}</h2>
            <p class="muted" role="status">{count}</p>
            {if o.open_cases.is_empty() {
                view! { <p class="empty">{t::OFFICER_CASES_EMPTY}</p> }.into_any()
            } else {
                view! {
                    <div class="table-scroll">
                        <table class="cases">
                            <caption class="sr-only">{t::OFFICER_CASES}</caption>
                            <thead>
                                <tr>
                                    <th scope="col">{t::SORT_CODE}</th>
                                    <th scope="col">{t::COL_TYPE}</th>
                                    <th scope="col">{t::COL_STATUS}</th>
                                    <th scope="col">{t::COL_DATE}</th>
                                    <th scope="col">{t::COL_AMOUNT}</th>
                                    <th scope="col">{t::COL_COLLECTED}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {o
                                    .open_cases
                                    .into_iter()
                                    .map(|c| {
                                        view! {
                                            <tr>
                                                <th scope="row"><a href=format!("/viec/{}", c.id)>{c.ma_viec}</a></th>
                                                <td>{t::code_name(&c.loai_an).to_string()}</td>
                                                <td>{t::code_name(&c.trang_thai).to_string()}</td>
                                                <td class="num">{text::format_date(&c.ngay_thu_ly)}</td>
                                                <td class="num">{text::format_int(c.so_tien_phai_thi_hanh)}</td>
                                                <td class="num">{text::format_int(c.so_tien_da_thi_hanh)}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                    <nav class="pager" aria-label=t::PAGINATION>
                        {prev.map(|h| view! { <a href=h rel="prev">{t::PAGE_PREV}</a> })}
                        <span>{pager_text}</span>
                        {next.map(|h| view! { <a href=h rel="next">{t::PAGE_NEXT}</a> })}
                    </nav>
                }
                    .into_any()
            }}
        </section>
    };
    let overdue = view! { <OverdueSection base=base fixed rules/> };
    view! {
        {(!mine).then(|| view! { <Title text=format!("{} — {}", o.unit.name, text::APP_SHORT)/> })}
        {(!mine).then(|| view! { <Crumbs items=crumbs/> })}
        <header class="page-header">
            <p class="brand">{text::APP_SHORT}</p>
            <h1>{heading}</h1>
            <p class="as-of">{subtitle}</p>
        </header>
        {if mine {
            // The officer's own day: tasks, then the cases in breach, then everything open;
            // their figures last.
            view! {
                <UnitTasks unit=None heading=text::nav::MY_WORK_TASKS/>
                {overdue}
                {cases}
                <KpiCompareTable unit=o.unit.clone() compare=Some(o.office.clone())/>
            }
                .into_any()
        } else {
            view! {
                <KpiCompareTable unit=o.unit.clone() compare=Some(o.office.clone())/>
                {cases}
                {overdue}
            }
                .into_any()
        }}
    }
}

/// `/viec/:id`.
#[component]
pub fn CasePage() -> impl IntoView {
    let id = id_param("id");
    let data = resource(move || id.get(), load_case);
    view! {
        <Stylesheet id="dash" href="/pkg/dash.css"/>
        <main id="noi-dung" class="page area">
            <Transition fallback=|| view! { <p>{text::LOADING}</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorList errors/> }>
                    {move || data.get().map(|r| r.map(|c| view! { <CaseBody c/> }))}
                </ErrorBoundary>
            </Transition>
        </main>
    }
}

fn date_or_dash(d: &Option<String>) -> String {
    d.as_deref()
        .map_or_else(|| t::NO_DATA.to_string(), text::format_date)
}

#[component]
fn CaseBody(c: CaseDetail) -> impl IntoView {
    let mut crumbs = vec![
        (t::NAV_COUNTRY.to_string(), Some("/ca-nuoc".to_string())),
        (c.ten_tinh.clone(), Some(format!("/tinh/{}", c.ma_tinh))),
        (
            c.don_vi_ten.clone(),
            Some(format!("/don-vi/{}", c.don_vi_id)),
        ),
    ];
    if let (Some(id), Some(name)) = (c.can_bo_id, &c.can_bo_ten) {
        crumbs.push((name.clone(), Some(format!("/can-bo/{id}"))));
    }
    crumbs.push((c.ma_viec.clone(), None));
    let officer = c
        .can_bo_ten
        .clone()
        .unwrap_or_else(|| t::CASE_UNASSIGNED.to_string());
    let facts: Vec<(&'static str, String)> = vec![
        (t::CASE_OFFICE, c.don_vi_ten.clone()),
        (t::CASE_OFFICER, officer),
        (t::CASE_TYPE, t::code_name(&c.loai_an).to_string()),
        (t::CASE_FORM, t::code_name(&c.hinh_thuc).to_string()),
        (t::CASE_STATUS, t::code_name(&c.trang_thai).to_string()),
        (
            t::CASE_CONDITIONS,
            if c.co_dieu_kien {
                t::CASE_WITH
            } else {
                t::CASE_WITHOUT
            }
            .to_string(),
        ),
        (t::CASE_INTAKE, text::format_date(&c.ngay_thu_ly)),
        (t::CASE_DECISION, date_or_dash(&c.ngay_ra_quyet_dinh)),
        (t::CASE_VERIFIED, date_or_dash(&c.ngay_xac_minh)),
        (t::CASE_ENDED, date_or_dash(&c.ngay_ket_thuc)),
        (
            t::CASE_AMOUNT,
            format!("{} {}", text::format_int(c.so_tien_phai_thi_hanh), t::DONG),
        ),
        (
            t::CASE_COLLECTED,
            format!("{} {}", text::format_int(c.so_tien_da_thi_hanh), t::DONG),
        ),
    ];
    let heading = format!("{} {}", t::CASE_HEADING, c.ma_viec);
    view! {
        <Title text=format!("{heading} — {}", text::APP_SHORT)/>
        <Crumbs items=crumbs/>
        <header class="page-header">
            <p class="brand">{text::APP_SHORT}</p>
            <h1>{heading}</h1>
        </header>
        <div class="case-top">
            <section aria-labelledby="facts-title">
                <h2 id="facts-title">{t::CASE_FACTS}</h2>
                <dl class="facts">
                    {facts
                        .into_iter()
                        .map(|(k, v)| view! { <div><dt>{k}</dt><dd>{v}</dd></div> })
                        .collect_view()}
                </dl>
            </section>
            <section aria-labelledby="flags-title">
                <h2 id="flags-title">{t::CASE_FLAGS}</h2>
                {if c.overdue_rules.is_empty() {
                    view! { <p class="muted">{t::CASE_NO_FLAGS}</p> }.into_any()
                } else {
                    view! {
                        <ul class="flags">
                            {c.overdue_rules.iter().map(|r| view! { <li>{r.clone()}</li> }).collect_view()}
                        </ul>
                    }
                        .into_any()
                }}
            </section>
        </div>
        <section aria-labelledby="timeline-title">
            <h2 id="timeline-title">{t::CASE_TIMELINE}</h2>
            {if c.timeline.is_empty() {
                view! { <p class="muted">{t::CASE_TIMELINE_EMPTY}</p> }.into_any()
            } else {
                view! {
                    <ol class="timeline" aria-label=t::CASE_TIMELINE>
                        {c
                            .timeline
                            .into_iter()
                            .map(|e| {
                                let kind = t::timeline_kind(&e.kind);
                                let what = t::code_name(&e.code).to_string();
                                view! {
                                    <li data-kind=e.kind.clone()>
                                        <time datetime=e.date.clone()>{text::format_date(&e.date)}</time>
                                        <strong>{kind}</strong>
                                        <span>{what}</span>
                                        <span class="muted">{e.detail}</span>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ol>
                }
                    .into_any()
            }}
        </section>
    }
}
