//! `/nhat-ky`: the audit log for national leadership — filters and page in the query string
//! (a plain GET form, so links are shareable and it works without JavaScript).

use crate::auth::{audit_entries, AuditItem, AuditPage, AuditQuery};
use crate::components::date_input::DateInput;
use crate::components::error_list::ErrorList;
use crate::text::{self, auth as t};
use crate::wire::resource;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Formats a stored RFC 3339 UTC time as `dd/mm/yyyy HH:MM:SS` in Vietnam time (UTC+7).
pub fn vietnam_time(at: &str) -> String {
    // yyyy-mm-ddTHH:MM:SS…Z; anything else is shown as stored.
    let parse = |r: std::ops::Range<usize>| at.get(r).and_then(|s| s.parse::<u32>().ok());
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(s)) = (
        parse(0..4),
        parse(5..7),
        parse(8..10),
        parse(11..13),
        parse(14..16),
        parse(17..19),
    ) else {
        return at.to_owned();
    };
    let (mut y, mut mo, mut d, mut h) = (y, mo, d, h + 7);
    if h >= 24 {
        h -= 24;
        d += 1;
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let days = match mo {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if d > days {
            d = 1;
            mo += 1;
            if mo > 12 {
                mo = 1;
                y += 1;
            }
        }
    }
    format!("{d:02}/{mo:02}/{y:04} {h:02}:{mi:02}:{s:02}")
}

/// The audit log page.
#[component]
pub fn AuditLogPage() -> impl IntoView {
    let query = use_query_map();
    let filters = Memo::new(move |_| query.with(|q| AuditQuery::from_params(|k| q.get(k))));
    let page = resource(move || filters.get(), audit_entries);
    view! {
        <Title text=t::AUDIT_TITLE/>
        <main id="noi-dung" class="page audit-page">
            <header class="page-header">
                <p class="brand"><a href="/">{text::APP_SHORT}</a></p>
                <h1>{t::AUDIT_HEADING}</h1>
                <p>{t::AUDIT_INTRO}</p>
            </header>
            <Suspense fallback=|| view! { <p>{text::LOADING}</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorList errors/> }>
                    {move || page.get().map(|r| r.map(|p| view! {
                        <AuditFilterForm query=filters.get_untracked() page=p.clone()/>
                        <AuditTable page=p query=filters.get_untracked()/>
                    }))}
                </ErrorBoundary>
            </Suspense>
        </main>
    }
}

/// The filter form (GET, so the filters land in the query string).
#[component]
fn AuditFilterForm(query: AuditQuery, page: AuditPage) -> impl IntoView {
    let option = |code: String, selected: bool, label: String| {
        view! { <option value=code selected=selected>{label}</option> }
    };
    let actions = page
        .actions
        .iter()
        .map(|a| {
            option(
                a.clone(),
                query.action.as_deref() == Some(a),
                t::action_label(a).to_owned(),
            )
        })
        .collect_view();
    let outcomes = page
        .outcomes
        .iter()
        .map(|o| {
            option(
                o.clone(),
                query.outcome.as_deref() == Some(o),
                t::outcome_label(o).to_owned(),
            )
        })
        .collect_view();
    view! {
        <form method="get" action="/nhat-ky" class="audit-filters" aria-label=t::AUDIT_FILTERS>
            <label>{t::AUDIT_ACTION}
                <select name="hanh_dong" aria-label=t::AUDIT_ACTION>
                    <option value="">{t::AUDIT_ALL}</option>
                    {actions}
                </select>
            </label>
            <label>{t::AUDIT_ACTOR}
                <input type="text" name="tai_khoan" value=query.actor.clone().unwrap_or_default()/>
            </label>
            <label>{t::AUDIT_OUTCOME}
                <select name="ket_qua" aria-label=t::AUDIT_OUTCOME>
                    <option value="">{t::AUDIT_ALL}</option>
                    {outcomes}
                </select>
            </label>
            <label>{t::AUDIT_FROM}
                <DateInput name="tu" value=query.from.clone().unwrap_or_default()/>
            </label>
            <label>{t::AUDIT_TO}
                <DateInput name="den" value=query.to.clone().unwrap_or_default()/>
            </label>
            <button type="submit">{t::AUDIT_APPLY}</button>
            <a href="/nhat-ky">{t::AUDIT_CLEAR}</a>
        </form>
    }
}

/// One page of entries and the pagination links.
#[component]
fn AuditTable(page: AuditPage, query: AuditQuery) -> impl IntoView {
    let pages = u32::try_from(
        (page.total.max(0) + i64::from(page.page_size) - 1) / i64::from(page.page_size.max(1)),
    )
    .unwrap_or(u32::MAX)
    .max(1);
    let current = page.page;
    let prev = (current > 1).then(|| query.href(current - 1));
    let next = (current < pages).then(|| query.href(current + 1));
    let summary = format!(
        "{} {} · {} {}/{}",
        text::format_int(page.total),
        t::AUDIT_TOTAL,
        t::AUDIT_PAGE,
        text::format_int(i64::from(current)),
        text::format_int(i64::from(pages)),
    );
    if page.items.is_empty() {
        return view! { <p class="empty" role="status">{t::AUDIT_EMPTY}</p> }.into_any();
    }
    view! {
        <p class="audit-summary" role="status">{summary}</p>
        <div class="table-wrap">
            <table class="audit-table">
                <caption>{t::AUDIT_CAPTION}</caption>
                <thead>
                    <tr>
                        <th scope="col">{t::AUDIT_TIME}</th>
                        <th scope="col">{t::AUDIT_ACTOR}</th>
                        <th scope="col">{t::AUDIT_ACTION}</th>
                        <th scope="col">{t::AUDIT_OUTCOME}</th>
                        <th scope="col">{t::AUDIT_ADDRESS}</th>
                        <th scope="col">{t::AUDIT_DETAIL}</th>
                    </tr>
                </thead>
                <tbody>
                    <For each=move || page.items.clone() key=|i: &AuditItem| i.id.clone() let:item>
                        <AuditRow item/>
                    </For>
                </tbody>
            </table>
        </div>
        <nav class="pager" aria-label=t::AUDIT_PAGES>
            {prev.map(|href| view! { <a href=href rel="prev">{t::AUDIT_PREV}</a> })}
            {next.map(|href| view! { <a href=href rel="next">{t::AUDIT_NEXT}</a> })}
        </nav>
    }
    .into_any()
}

#[component]
fn AuditRow(item: AuditItem) -> impl IntoView {
    let outcome_class = if item.outcome == "ok" {
        "outcome-ok"
    } else {
        "outcome-bad"
    };
    view! {
        <tr>
            <td><time datetime=item.at.clone()>{vietnam_time(&item.at)}</time></td>
            <td>{if item.actor.is_empty() { "—".to_owned() } else { item.actor.clone() }}</td>
            <td>{t::action_label(&item.action).to_owned()}</td>
            <td class=outcome_class>{t::outcome_label(&item.outcome).to_owned()}</td>
            <td>{item.address.clone()}</td>
            <td class="audit-detail"><code>{item.detail.clone()}</code></td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::vietnam_time;

    #[test]
    fn times_are_shown_in_vietnam_time() {
        assert_eq!(
            vietnam_time("2026-11-30T17:05:09.123456Z"),
            "01/12/2026 00:05:09"
        );
        assert_eq!(
            vietnam_time("2026-12-31T20:00:00.000000Z"),
            "01/01/2027 03:00:00"
        );
        assert_eq!(vietnam_time("2028-02-28T18:00:00Z"), "29/02/2028 01:00:00");
        assert_eq!(vietnam_time("2026-11-30T01:02:03Z"), "30/11/2026 08:02:03");
        assert_eq!(vietnam_time("garbage"), "garbage");
    }
}
