//! The account menu: who is signed in, their role, change password, the audit log (leadership)
//! and a logout button (a plain form POST, so it works without JavaScript).

use crate::auth::{who_am_i, Me};
use crate::text::auth as t;
use crate::wire::resource;
use leptos::prelude::*;

/// Shows the signed-in user; nothing for anonymous visitors and the wall display.
#[component]
pub fn UserMenu() -> impl IntoView {
    let me = resource(|| (), |_| who_am_i());
    view! {
        <Suspense fallback=|| ()>
            {move || me.get().and_then(Result::ok).flatten().filter(|m| !m.kiosk).map(|m| view! { <UserMenuBar me=m/> })}
        </Suspense>
    }
}

#[component]
fn UserMenuBar(me: Me) -> impl IntoView {
    view! {
        <nav class="user-menu" aria-label=t::MENU_LABEL>
            <span class="user-name">{me.display_name.clone()}</span>
            <span class="user-role">{t::role_label(&me.role)}</span>
            {me.leadership.then(|| view! { <a href="/nhat-ky">{t::MENU_AUDIT}</a> })}
            <a href="/doi-mat-khau">{t::MENU_PASSWORD}</a>
            <form method="post" action="/dang-xuat" class="logout-form">
                <button type="submit">{t::MENU_LOGOUT}</button>
            </form>
        </nav>
    }
}
