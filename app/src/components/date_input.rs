//! A date field in the Vietnamese order, dd/mm/yyyy, whatever the browser's language: a native
//! `<input type="date">` shows mm/dd/yyyy in an English-language browser. The server reads what
//! is typed with [`text::parse_date`], which also takes ISO dates.

use crate::text;
use leptos::prelude::*;

/// A text field for one date. `value` is ISO or what was typed (shown as dd/mm/yyyy when ISO);
/// `on_input` receives each edit when the form is handled in the browser.
#[component]
pub fn DateInput(
    name: &'static str,
    value: String,
    #[prop(optional)] required: bool,
    #[prop(optional)] on_input: Option<Callback<String>>,
) -> impl IntoView {
    view! {
        <input
            type="text"
            name=name
            inputmode="numeric"
            autocomplete="off"
            placeholder=text::DATE_PLACEHOLDER
            title=text::DATE_HINT
            pattern=r"\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2}"
            required=required
            value=text::format_date(&value)
            on:input=move |ev| {
                if let Some(f) = on_input {
                    f.run(event_target_value(&ev));
                }
            }
        />
    }
}
