//! The header of every page of a signed-in user: the sections the role may open
//! ([`crate::nav::links`], the current one marked), the open and overdue tasks of the user's
//! units on "Nhiệm vụ", and the account menu. Plain links and a plain logout form: it works
//! from the keyboard and without JavaScript. Nothing for anonymous visitors and the wall
//! display.

use crate::auth::{who_am_i, Me};
use crate::error::AppError;
use crate::nav::{is_current, NavLink, Section};
use crate::text::{self, auth as t, nav as tn};
use crate::wire::resource;
use crate::wire::Json;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// The caller, read once per page load and shared by the header and the breadcrumbs.
#[derive(Clone, Copy)]
pub struct Caller(pub Resource<Result<Option<Me>, AppError>, Json>);

/// Reads the caller for the pages below ([`SiteHeader`], [`may_follow`]).
pub fn provide_caller() {
    provide_context(Caller(resource(|| (), |_| who_am_i())));
}

/// Whether the caller may open `href` (a local page path): pages outside every section are
/// checked by the page itself and count as open. Reads the caller, so call it inside a
/// `Suspense`.
pub fn may_follow(href: &str) -> bool {
    let Some(section) = Section::of_path(href) else {
        return true;
    };
    use_context::<Caller>()
        .and_then(|c| c.0.get())
        .and_then(Result::ok)
        .flatten()
        .is_some_and(|me| me.sections.contains(&section))
}

/// The site header, once the caller is known.
#[component]
pub fn SiteHeader() -> impl IntoView {
    let Some(Caller(me)) = use_context::<Caller>() else {
        return ().into_any();
    };
    view! {
        <Suspense fallback=|| ()>
            {move || me.get().and_then(Result::ok).flatten().filter(|m| !m.kiosk).map(|m| view! { <HeaderBar me=m/> })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn HeaderBar(me: Me) -> impl IntoView {
    let path = use_location().pathname;
    let tasks_badge = (me.tasks_open > 0).then(|| {
        let open = format!(
            "{} {}",
            text::format_int(i64::try_from(me.tasks_open).unwrap_or(i64::MAX)),
            tn::TASKS_OPEN
        );
        let late = (me.tasks_overdue > 0).then(|| {
            format!(
                "{} {}",
                text::format_int(i64::try_from(me.tasks_overdue).unwrap_or(i64::MAX)),
                tn::TASKS_OVERDUE
            )
        });
        (open, late)
    });
    let link = move |l: NavLink| {
        let href = l.href.clone();
        let current = move || is_current(&href, &path.get()).then_some("page");
        let badge = (l.section == Section::Tasks)
            .then(|| tasks_badge.clone())
            .flatten()
            .map(|(open, late)| {
                view! {
                    <span class="nav-badge">{open}</span>
                    {late.map(|l| view! { <span class="nav-badge nav-badge-late">{l}</span> })}
                }
            });
        view! {
            <li><a href=l.href aria-current=current><span class="nav-label">{l.section.label()}</span> {badge}</a></li>
        }
    };
    view! {
        <a class="skip-link" href="#noi-dung">{tn::SKIP}</a>
        <header class="site-header">
            <a class="site-brand" href="/">{text::APP_SHORT}</a>
            <nav class="site-nav" aria-label=tn::LABEL>
                <ul>{me.links.clone().into_iter().map(link).collect_view()}</ul>
            </nav>
            <div class="user-menu" role="group" aria-label=t::MENU_LABEL>
                <span class="user-name">{me.display_name.clone()}</span>
                <span class="user-role">{t::role_label(&me.role)}</span>
                <a href="/doi-mat-khau">{t::MENU_PASSWORD}</a>
                <form method="post" action="/dang-xuat" class="logout-form">
                    <button type="submit">{t::MENU_LOGOUT}</button>
                </form>
            </div>
        </header>
    }
}
