//! A labelled headline number.

use leptos::prelude::*;

/// One headline figure: a label above a large value.
#[component]
pub fn KpiCard(label: &'static str, value: String) -> impl IntoView {
    view! {
        <div class="kpi-card" role="group" aria-label=label>
            <dt class="kpi-label">{label}</dt>
            <dd class="kpi-value">{value}</dd>
        </div>
    }
}
