//! A labelled headline number.

use leptos::prelude::*;

/// One headline figure: a label above a large value, with an optional unit in smaller type.
#[component]
pub fn KpiCard(
    label: &'static str,
    value: String,
    #[prop(optional)] unit: Option<&'static str>,
) -> impl IntoView {
    view! {
        <div class="kpi-card" role="group" aria-label=label>
            <dt class="kpi-label">{label}</dt>
            <dd class="kpi-value">
                {value}
                {unit.map(|u| view! { " " <span class="kpi-unit">{u}</span> })}
            </dd>
        </div>
    }
}
