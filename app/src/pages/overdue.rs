//! The overdue list shared by the national, provincial, office and officer pages: rows flagged
//! by the overdue rules, filtered by rule, case type, office (and province on the national
//! view), sortable by column and paged by 50. Every filter lives in the query string, so a link
//! is shareable and the list works without JavaScript (a plain GET form); the same filters
//! export to CSV at `/api/viec-qua-han.csv`.

use crate::components::error_list::ErrorList;
use crate::components::site_header::may_follow;
use crate::error::AppError;
use crate::text::{self, dash as t};
use crate::wire::dash::{OverdueList, OverdueQuery, OverdueRow, RuleCount};
use crate::wire::resource;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

/// Path of the CSV export.
pub const CSV_PATH: &str = "/api/viec-qua-han.csv";

/// One page of the overdue list, confined to the caller's scope.
///
/// # Errors
/// [`AppError::Forbidden`] when the filters leave the caller's scope, [`AppError::Invalid`]
/// for an unknown rule, case type or sort, [`AppError::Unavailable`] while the list cannot be
/// read.
#[server]
pub async fn load_overdue(q: OverdueQuery) -> Result<OverdueList, AppError> {
    use crate::ssr::{app_state, current_scope, with_status};
    let scope = current_scope().await?;
    let q = crate::dash::confine(&scope, q).map_err(with_status)?;
    app_state()?.data.overdue(q).await.map_err(with_status)
}

fn non_empty(m: &ParamsMap, k: &str) -> Option<String> {
    m.get(k).filter(|v| !v.trim().is_empty())
}

/// The filters of a query string, with the page's own unit (`fixed`) taking precedence.
pub fn query_of(m: &ParamsMap, fixed: &OverdueQuery) -> OverdueQuery {
    OverdueQuery {
        tinh: fixed.tinh.clone().or_else(|| non_empty(m, "tinh")),
        don_vi: fixed
            .don_vi
            .or_else(|| non_empty(m, "don_vi").and_then(|v| v.parse().ok())),
        can_bo: fixed
            .can_bo
            .or_else(|| non_empty(m, "can_bo").and_then(|v| v.parse().ok())),
        quy_tac: non_empty(m, "quy_tac"),
        loai_an: non_empty(m, "loai_an"),
        sap_xep: non_empty(m, "sap_xep"),
        giam: non_empty(m, "giam").map(|v| v == "true" || v == "1"),
        trang: non_empty(m, "trang").and_then(|v| v.parse().ok()),
    }
}

/// The query string of `q` without the fields the page's path already carries.
fn page_query(q: &OverdueQuery, fixed: &OverdueQuery) -> String {
    let mut own = q.clone();
    if fixed.tinh.is_some() {
        own.tinh = None;
    }
    if fixed.don_vi.is_some() {
        own.don_vi = None;
    }
    if fixed.can_bo.is_some() {
        own.can_bo = None;
    }
    own.to_query_string()
}

fn href(base: &str, q: &OverdueQuery, fixed: &OverdueQuery) -> String {
    let qs = page_query(q, fixed);
    if qs.is_empty() {
        format!("{base}#overdue-title")
    } else {
        format!("{base}?{qs}#overdue-title")
    }
}

/// The overdue list section of a page at `base` (its path), about the unit in `fixed`.
#[component]
pub fn OverdueSection(
    base: String,
    fixed: OverdueQuery,
    /// Offices offered in the office filter: `(don_vi_id, name)`.
    #[prop(optional)]
    offices: Vec<(i64, String)>,
    /// Provinces offered in the province filter (national view): `(ma_tinh, name)`.
    #[prop(optional)]
    provinces: Vec<(String, String)>,
    /// Rules offered in the rule filter.
    rules: Vec<RuleCount>,
) -> impl IntoView {
    let query = use_query_map();
    let fixed_q = fixed.clone();
    let q = Memo::new(move |_| query_of(&query.get(), &fixed_q));
    let data = resource(move || q.get(), load_overdue);
    let csv = move || {
        let mut all = q.get();
        all.trang = None;
        let qs = all.to_query_string();
        if qs.is_empty() {
            CSV_PATH.to_string()
        } else {
            format!("{CSV_PATH}?{qs}")
        }
    };
    let base_form = base.clone();
    let base_table = base.clone();
    let fixed_table = fixed.clone();
    view! {
        <section class="overdue" aria-labelledby="overdue-title">
            <h2 id="overdue-title">{t::OVERDUE_HEADING}</h2>
            {move || {
                view! {
                    <FilterForm
                        base=base_form.clone()
                        q=q.get()
                        offices=offices.clone()
                        provinces=provinces.clone()
                        rules=rules.clone()
                    />
                }
            }}
            <p class="export"><a href=csv download="">{t::EXPORT_CSV}</a></p>
            <Transition fallback=|| view! { <p>{text::LOADING}</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorList errors/> }>
                    {move || {
                        let base = base_table.clone();
                        let fixed = fixed_table.clone();
                        data.get()
                            .map(|r| {
                                r.map(|list| {
                                    view! { <OverdueTable list q=q.get_untracked() base fixed/> }
                                })
                            })
                    }}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
fn FilterForm(
    base: String,
    q: OverdueQuery,
    offices: Vec<(i64, String)>,
    provinces: Vec<(String, String)>,
    rules: Vec<RuleCount>,
) -> impl IntoView {
    let rule = q.quy_tac.clone().unwrap_or_default();
    let kind = q.loai_an.clone().unwrap_or_default();
    let sort = q.sap_xep.clone().unwrap_or_default();
    let office = q.don_vi.map(|d| d.to_string()).unwrap_or_default();
    let province = q.tinh.clone().unwrap_or_default();
    let desc = q.giam.unwrap_or(false);
    let reset = base.clone();
    let sorts = [
        ("ngay", t::SORT_DATE),
        ("tien", t::SORT_MONEY),
        ("quy_tac", t::SORT_RULE),
        ("ma", t::SORT_CODE),
    ];
    view! {
        <form class="filters" method="get" action=base aria-label=t::FILTER_LEGEND>
            {(!provinces.is_empty())
                .then(|| {
                    view! {
                        <label>
                            {t::FILTER_PROVINCE}
                            <select name="tinh" aria-label=t::FILTER_PROVINCE>
                                <option value="">{t::FILTER_ALL}</option>
                                {provinces
                                    .into_iter()
                                    .map(|(code, name)| {
                                        let selected = code == province;
                                        view! { <option value=code selected=selected>{name}</option> }
                                    })
                                    .collect_view()}
                            </select>
                        </label>
                    }
                })}
            <label>
                {t::FILTER_RULE}
                <select name="quy_tac" aria-label=t::FILTER_RULE>
                    <option value="">{t::FILTER_ALL}</option>
                    {rules
                        .into_iter()
                        .map(|r| {
                            let selected = r.code == rule;
                            let label = format!("{} — {}", r.code, r.label);
                            view! { <option value=r.code selected=selected>{label}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
            <label>
                {t::FILTER_TYPE}
                <select name="loai_an" aria-label=t::FILTER_TYPE>
                    <option value="">{t::FILTER_ALL}</option>
                    {t::CASE_TYPES
                        .iter()
                        .map(|code| {
                            let selected = *code == kind;
                            view! { <option value=*code selected=selected>{t::code_name(code).to_string()}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
            {(!offices.is_empty())
                .then(|| {
                    view! {
                        <label>
                            {t::FILTER_OFFICE}
                            <select name="don_vi" aria-label=t::FILTER_OFFICE>
                                <option value="">{t::FILTER_ALL}</option>
                                {offices
                                    .into_iter()
                                    .map(|(id, name)| {
                                        let selected = id.to_string() == office;
                                        view! { <option value=id.to_string() selected=selected>{name}</option> }
                                    })
                                    .collect_view()}
                            </select>
                        </label>
                    }
                })}
            <label>
                {t::FILTER_SORT}
                <select name="sap_xep" aria-label=t::FILTER_SORT>
                    {sorts
                        .iter()
                        .map(|(code, label)| {
                            let selected = *code == sort || (sort.is_empty() && *code == "ngay");
                            view! { <option value=*code selected=selected>{*label}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
            <label class="check">
                <input type="checkbox" name="giam" value="true" checked=desc/>
                {t::FILTER_DESC}
            </label>
            <button type="submit">{t::FILTER_APPLY}</button>
            <a class="reset" href=reset>{t::FILTER_RESET}</a>
        </form>
    }
}

fn subject(row: &OverdueRow) -> AnyView {
    match (&row.viec_id, &row.ma_viec) {
        (Some(id), Some(ma)) if row.rule.as_str() < "QH12" => {
            let href = format!("/viec/{id}");
            view! { <a href=href>{ma.clone()}</a> }.into_any()
        }
        (Some(id), Some(ma)) => {
            let prefix = match row.rule.as_str() {
                "QH15" => t::SUBJECT_TASK,
                "QH16" => t::SUBJECT_DECISION,
                _ => t::SUBJECT_PETITION,
            };
            let href = format!("/viec/{id}");
            let own = format!("{prefix} {} · ", row.subject_id);
            view! { {own} <a href=href>{ma.clone()}</a> }.into_any()
        }
        _ => {
            let prefix = match row.rule.as_str() {
                "QH15" => t::SUBJECT_TASK,
                "QH16" => t::SUBJECT_DECISION,
                _ => t::SUBJECT_PETITION,
            };
            format!("{prefix} {}", row.subject_id).into_any()
        }
    }
}

#[component]
fn SortHeader(
    label: &'static str,
    code: &'static str,
    q: OverdueQuery,
    base: String,
    fixed: OverdueQuery,
) -> impl IntoView {
    let current = q.sap_xep.clone().unwrap_or_else(|| "ngay".to_string());
    let active = current == code;
    let desc = q.giam.unwrap_or(false);
    let mut next = q.clone();
    next.sap_xep = Some(code.to_string());
    next.giam = Some(active && !desc);
    next.trang = None;
    let aria_sort = match (active, desc) {
        (false, _) => "none",
        (true, false) => "ascending",
        (true, true) => "descending",
    };
    let link = href(&base, &next, &fixed);
    let arrow = match (active, desc) {
        (false, _) => "",
        (true, false) => " ▲",
        (true, true) => " ▼",
    };
    view! {
        <th scope="col" aria-sort=aria_sort>
            <a href=link>{label} {arrow}</a>
        </th>
    }
}

#[component]
fn OverdueTable(
    list: OverdueList,
    q: OverdueQuery,
    base: String,
    fixed: OverdueQuery,
) -> impl IntoView {
    let pages = list.total.div_ceil(list.page_size.max(1)).max(1);
    let summary = format!(
        "{} {} {} · {} {} {} {}",
        t::OVERDUE_TOTAL,
        text::format_int(i64::try_from(list.total).unwrap_or(i64::MAX)),
        t::OVERDUE_ROWS,
        t::PAGE,
        list.page,
        t::PAGE_OF,
        pages
    );
    let prev = (list.page > 1).then(|| {
        let mut p = q.clone();
        p.trang = Some(list.page - 1);
        href(&base, &p, &fixed)
    });
    let next = (list.page < pages).then(|| {
        let mut p = q.clone();
        p.trang = Some(list.page + 1);
        href(&base, &p, &fixed)
    });
    let header = |label: &'static str, code: &'static str| {
        view! { <SortHeader label code q=q.clone() base=base.clone() fixed=fixed.clone()/> }
    };
    if list.rows.is_empty() {
        return view! { <p class="empty" role="status">{t::OVERDUE_EMPTY}</p> }.into_any();
    }
    view! {
        <p class="muted" role="status">{summary}</p>
        <div class="table-scroll">
            <table class="overdue-table">
                <caption class="sr-only">{t::OVERDUE_HEADING}</caption>
                <thead>
                    <tr>
                        {header(t::SORT_RULE, "quy_tac")}
                        {header(t::COL_CASE, "ma")}
                        <th scope="col">{t::COL_TYPE}</th>
                        <th scope="col">{t::COL_STATUS}</th>
                        {header(t::COL_DATE, "ngay")}
                        {header(t::COL_AMOUNT, "tien")}
                        <th scope="col">{t::COL_OFFICE}</th>
                        <th scope="col">{t::COL_OFFICER}</th>
                    </tr>
                </thead>
                <tbody>
                    {list
                        .rows
                        .into_iter()
                        .map(|r| {
                            let subject = subject(&r);
                            let office = r
                                .don_vi_id
                                .map(|id| {
                                    let name = r.don_vi_ten.clone().unwrap_or_else(|| id.to_string());
                                    let href = format!("/don-vi/{id}");
                                    // A chấp hành viên may not open their office's page.
                                    if may_follow(&href) {
                                        view! { <a href=href>{name}</a> }.into_any()
                                    } else {
                                        view! { <span>{name}</span> }.into_any()
                                    }
                                });
                            let officer = r
                                .can_bo_id
                                .map(|id| {
                                    let name = r.can_bo_ten.clone().unwrap_or_else(|| id.to_string());
                                    view! { <a href=format!("/can-bo/{id}")>{name}</a> }
                                });
                            view! {
                                <tr>
                                    <td><abbr title=r.rule_label.clone()>{r.rule.clone()}</abbr></td>
                                    <td>{subject}</td>
                                    <td>{r.loai_an.as_deref().map(t::code_name).unwrap_or("").to_string()}</td>
                                    <td>{r.trang_thai.as_deref().map(t::code_name).unwrap_or("").to_string()}</td>
                                    <td class="num">{r.ngay_thu_ly.as_deref().map(text::format_date).unwrap_or_default()}</td>
                                    <td class="num">{r.so_tien_phai_thi_hanh.map(text::format_int).unwrap_or_default()}</td>
                                    <td>{office}</td>
                                    <td>{officer}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        <nav class="pager" aria-label=t::PAGINATION>
            {prev.map(|h| view! { <a href=h rel="prev">{t::PAGE_PREV}</a> })}
            <span>{format!("{} {} {} {}", t::PAGE, list.page, t::PAGE_OF, pages)}</span>
            {next.map(|h| view! { <a href=h rel="next">{t::PAGE_NEXT}</a> })}
        </nav>
    }
    .into_any()
}
