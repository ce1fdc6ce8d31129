//! The THADS IOC user interface: pages, components, server functions and the wire types they
//! exchange, the one user-facing error type ([`error::AppError`]) and every Vietnamese UI
//! string ([`text`]).
//!
//! Never contains: SQL, Polars, candle, axum routes. With the `ssr` feature the crate renders
//! on the server and its server functions reach the store through [`ssr::DataSource`], a
//! trait the `server` crate implements; with `hydrate` it is compiled to wasm and
//! [`hydrate`] takes over the server-rendered page.
//!
//! Dashboards: [`pages::wall`] (`/man-hinh`), [`pages::area`] (`/ca-nuoc`, `/tinh/:ma_tinh`),
//! [`pages::drill`] (office, officer, case) and [`pages::overdue`] (the overdue list); their wire
//! types are [`wire::dash`], their strings [`text::dash`]; on the server, `dash` cuts the
//! published KPI snapshot into what each page shows, `charts` draws the SVG trend charts
//! (plotters, `ssr` only) and [`ssr::current_scope`] gives every server function the caller's
//! scope.
//!
//! Tests: `cargo test -p app --features ssr`.

#[cfg(feature = "ssr")]
pub mod ask_chart;
pub mod auth;
#[cfg(feature = "ssr")]
pub mod charts;
pub mod components;
#[cfg(feature = "ssr")]
pub mod console;
#[cfg(feature = "ssr")]
pub mod dash;
pub mod error;
pub mod nav;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod text;
pub mod wire;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    ParamSegment, SsrMode, StaticSegment,
};

/// The HTML document around the app, rendered by the server for every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="vi">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The router of every page.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    components::site_header::provide_caller();
    // Effects run only in the browser: this marks the page once the wasm bundle has taken over,
    // which browser tests wait for before they click.
    Effect::new(|_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Stylesheet id="ioc" href="/pkg/style.css"/>
        <Title text=text::APP_TITLE/>
        <Router>
            <components::site_header::SiteHeader/>
            <Routes fallback=pages::not_found::NotFound>
                // Async: the server waits for the data, so the first paint is complete without JavaScript.
                <Route path=StaticSegment("") view=pages::home::HomePage ssr=SsrMode::Async/>
                <Route path=StaticSegment("man-hinh") view=pages::wall::WallPage ssr=SsrMode::Async/>
                <Route path=StaticSegment("ca-nuoc") view=pages::area::CountryPage ssr=SsrMode::Async/>
                <Route path=(StaticSegment("tinh"), ParamSegment("ma_tinh")) view=pages::area::ProvincePage ssr=SsrMode::Async/>
                <Route path=(StaticSegment("don-vi"), ParamSegment("id")) view=pages::drill::OfficePage ssr=SsrMode::Async/>
                <Route path=(StaticSegment("can-bo"), ParamSegment("id")) view=pages::drill::OfficerPage ssr=SsrMode::Async/>
                <Route path=(StaticSegment("viec"), ParamSegment("id")) view=pages::drill::CasePage ssr=SsrMode::Async/>
                <Route path=StaticSegment("viec-cua-toi") view=pages::drill::MyWorkPage ssr=SsrMode::Async/>
                <Route path=StaticSegment("hoi-dap") view=pages::ask::AskPage ssr=SsrMode::Async/>
                <Route path=StaticSegment("nhiem-vu") view=pages::tasks::TasksPage ssr=SsrMode::Async/>
                <Route path=StaticSegment("dang-nhap") view=pages::login::LoginPage/>
                <Route path=StaticSegment("doi-mat-khau") view=pages::password::PasswordPage/>
                <Route path=StaticSegment("nhat-ky") view=pages::audit::AuditLogPage ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}

/// Entry point of the wasm bundle: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
