//! A labelled headline number.

use leptos::prelude::*;

/// One headline figure: a label above a large value, with an optional unit in smaller type. A
/// named group holding its own term and definition, so a grid of cards is a plain container.
#[component]
pub fn KpiCard(
    label: &'static str,
    value: String,
    #[prop(optional)] unit: Option<&'static str>,
) -> impl IntoView {
    view! {
        <div class="kpi-card" role="group" aria-label=label>
            <dl class="card-terms">
                <dt class="kpi-label">{label}</dt>
                <dd class="kpi-value">
                    {value}
                    {unit.map(|u| view! { " " <span class="kpi-unit">{u}</span> })}
                </dd>
            </dl>
        </div>
    }
}
