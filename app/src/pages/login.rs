//! `/dang-nhap`: the sign-in form. A plain HTML form posting to the server's login handler, so
//! it works without JavaScript; errors come back in the query string (`loi`, `phut`).

use crate::text::{self, auth as t};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The message for the `loi` code of the query string (and `phut`, minutes to wait).
pub fn login_message(loi: Option<&str>, minutes: Option<&str>) -> Option<String> {
    let wait = |before: &str| format!("{before} {} {}", minutes.unwrap_or("15"), t::LOGIN_MINUTES);
    Some(match loi? {
        "sai" => t::LOGIN_WRONG.to_owned(),
        "khoa" => wait(t::LOGIN_LOCKED_BEFORE),
        "khoa_ip" => wait(t::LOGIN_LOCKED_IP_BEFORE),
        "kiosk" => t::LOGIN_KIOSK_BAD.to_owned(),
        _ => t::LOGIN_ERROR.to_owned(),
    })
}

/// The sign-in page.
#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.with(|q| q.get("next")).unwrap_or_default();
    let message = move || {
        query.with(|q| {
            let loi = q.get("loi");
            let phut = q
                .get("phut")
                .filter(|m| m.chars().all(|c| c.is_ascii_digit()));
            if let Some(msg) = login_message(loi.as_deref(), phut.as_deref()) {
                return Some(
                    view! { <p class="auth-message auth-error" role="alert">{msg}</p> }.into_any(),
                );
            }
            if q.get("da_thoat").is_some() {
                return Some(
                    view! { <p class="auth-message" role="status">{t::LOGIN_LOGGED_OUT}</p> }
                        .into_any(),
                );
            }
            q.get("next").map(|_| {
                view! { <p class="auth-message" role="status">{t::LOGIN_NEED}</p> }.into_any()
            })
        })
    };
    view! {
        <Title text=t::LOGIN_TITLE/>
        <main id="noi-dung" class="auth-page">
            <section class="auth-card" aria-labelledby="login-heading">
                <p class="brand">{text::APP_SHORT}</p>
                <p class="auth-app">{text::APP_NAME}</p>
                <h1 id="login-heading">{t::LOGIN_HEADING}</h1>
                <p class="auth-intro">{t::LOGIN_INTRO}</p>
                {message}
                <form method="post" action="/dang-nhap" class="auth-form">
                    <label for="login">{t::LOGIN_NAME}</label>
                    <input id="login" name="login" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus/>
                    <label for="password">{t::LOGIN_PASSWORD}</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required/>
                    <input type="hidden" name="next" value=next/>
                    <button type="submit">{t::LOGIN_SUBMIT}</button>
                </form>
            </section>
        </main>
    }
}
