//! The 404 page.

use crate::text;
use leptos::prelude::*;

/// Shown for any unknown path, with a real 404 status on the server.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <main id="noi-dung" class="page">
            <h1>{text::NOT_FOUND_HEADING}</h1>
            <p><a href="/">{text::NOT_FOUND_BACK}</a></p>
        </main>
    }
}
