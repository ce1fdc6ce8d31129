//! The fallback of an `ErrorBoundary`.

use leptos::prelude::*;

/// Lists the errors of an [`ErrorBoundary`] in Vietnamese.
#[component]
pub fn ErrorList(errors: ArcRwSignal<Errors>) -> impl IntoView {
    view! {
        <div class="error" role="alert">
            {move || {
                errors
                    .get()
                    .into_iter()
                    .map(|(_, e)| view! { <p>{e.to_string()}</p> })
                    .collect_view()
            }}
        </div>
    }
}
