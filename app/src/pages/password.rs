//! `/doi-mat-khau`: change one's own password (a plain form posting to the server's handler;
//! results come back in the query string: `ok=1` or `loi=<code>`).

use crate::text::auth as t;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The message for the query string of the page.
pub fn password_message(
    ok: bool,
    loi: Option<&str>,
    minutes: Option<&str>,
) -> Option<(bool, String)> {
    if ok {
        return Some((false, t::PASSWORD_OK.to_owned()));
    }
    let text = match loi? {
        "sai" => t::PASSWORD_WRONG.to_owned(),
        "khop" => t::PASSWORD_MISMATCH.to_owned(),
        "trung" => t::PASSWORD_SAME.to_owned(),
        "ngan" => t::PASSWORD_SHORT.to_owned(),
        "khoa" => format!(
            "{} {} {}",
            t::LOGIN_LOCKED_BEFORE,
            minutes.unwrap_or("15"),
            t::LOGIN_MINUTES
        ),
        _ => t::LOGIN_ERROR.to_owned(),
    };
    Some((true, text))
}

/// The change-password page.
#[component]
pub fn PasswordPage() -> impl IntoView {
    let query = use_query_map();
    let message = move || {
        query.with(|q| {
            let phut = q
                .get("phut")
                .filter(|m| m.chars().all(|c| c.is_ascii_digit()));
            password_message(
                q.get("ok").is_some(),
                q.get("loi").as_deref(),
                phut.as_deref(),
            )
            .map(|(error, msg)| {
                if error {
                    view! { <p class="auth-message auth-error" role="alert">{msg}</p> }.into_any()
                } else {
                    view! { <p class="auth-message" role="status">{msg}</p> }.into_any()
                }
            })
        })
    };
    view! {
        <Title text=t::PASSWORD_TITLE/>
        <main id="noi-dung" class="auth-page">
            <section class="auth-card" aria-labelledby="password-heading">
                <h1 id="password-heading">{t::PASSWORD_HEADING}</h1>
                {message}
                <form method="post" action="/doi-mat-khau" class="auth-form">
                    <label for="current">{t::PASSWORD_CURRENT}</label>
                    <input id="current" name="current" type="password" autocomplete="current-password" required/>
                    <label for="new">{t::PASSWORD_NEW}</label>
                    <input id="new" name="new" type="password" autocomplete="new-password" minlength="10" required/>
                    <label for="confirm">{t::PASSWORD_CONFIRM}</label>
                    <input id="confirm" name="confirm" type="password" autocomplete="new-password" minlength="10" required/>
                    <button type="submit">{t::PASSWORD_SUBMIT}</button>
                </form>
            </section>
        </main>
    }
}
