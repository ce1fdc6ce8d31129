//! The live stream in the browser: one `EventSource` on `/api/live` per page, its connection
//! state, whether the server says its figures are stale, a counter of KPI updates (pages
//! re-read their figures when it moves), and the latest alerts and tasks — each list bounded,
//! so a wall display open for days keeps flat memory.
//!
//! On the server (SSR) nothing connects: the signals keep their initial values, and the page
//! shows the figures it was rendered with. After hydration the stream opens; when it fails the
//! browser retries, and if it gives up (the stream closed) a new one is opened after
//! [`RETRY_MS`].

use crate::text::dash as t;
use crate::wire::dash::TaskItem;
use crate::wire::Alert;
use leptos::prelude::*;
use std::collections::VecDeque;

/// Most alerts kept.
pub const MAX_ALERTS: usize = 12;
/// Most live tasks kept.
pub const MAX_TASKS: usize = 8;
/// Delay before a closed stream is reopened.
pub const RETRY_MS: u64 = 3_000;

/// State of the connection to `/api/live`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveState {
    /// Not connected yet (and the whole SSR page).
    Connecting,
    Open,
    /// The stream failed; the browser is reconnecting.
    Lost,
}

/// Signals of the live stream, shared by the components of a page.
#[derive(Clone, Copy)]
pub struct Live {
    pub state: RwSignal<LiveState>,
    /// Increases with each `kpi` event.
    pub updates: RwSignal<u64>,
    /// Client time (ms since epoch) of the loss of connection.
    pub lost_at_ms: RwSignal<Option<i64>>,
    /// Set while the server says its figures may be out of date (`event: status`): since when.
    pub stale_since: RwSignal<Option<String>>,
    pub alerts: RwSignal<VecDeque<Alert>>,
    pub tasks: RwSignal<VecDeque<TaskItem>>,
}

/// Pushes `item` to the front of `list`, dropping the oldest beyond `max` and any item `same`
/// as it (a re-sent event replaces its earlier copy).
pub fn push_bounded<T>(list: &mut VecDeque<T>, item: T, max: usize, same: impl Fn(&T, &T) -> bool) {
    list.retain(|x| !same(x, &item));
    list.push_front(item);
    list.truncate(max);
}

/// Opens the live stream (in the browser) and returns its signals.
pub fn use_live() -> Live {
    let live = Live {
        state: RwSignal::new(LiveState::Connecting),
        updates: RwSignal::new(0),
        lost_at_ms: RwSignal::new(None),
        stale_since: RwSignal::new(None),
        alerts: RwSignal::new(VecDeque::new()),
        tasks: RwSignal::new(VecDeque::new()),
    };
    // Effects run only in the browser, once the page has hydrated.
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        browser::open(live);
    });
    live
}

/// The connection banner: hidden while the figures are live, a clear warning while the
/// connection is lost or the server says its figures may be out of date.
#[component]
pub fn LiveBanner(live: Live) -> impl IntoView {
    let lost = move || live.state.get() == LiveState::Lost;
    let stale = move || live.stale_since.get();
    view! {
        <div
            class="live-banner"
            class:live-banner-on=move || lost() || stale().is_some()
            role="alert"
            aria-live="assertive"
        >
            {move || {
                if lost() {
                    let since = live
                        .lost_at_ms
                        .get()
                        .map(crate::text::dash::clock)
                        .unwrap_or_default();
                    Some(format!("{} {since}. {}", t::LIVE_LOST, t::LIVE_RECONNECTING))
                } else {
                    stale()
                        .map(|since| {
                            format!("{} {}. {}", t::LIVE_STALE, hh_mm(&since), t::LIVE_STALE_DETAIL)
                        })
                }
            }}
        </div>
    }
}

/// `HH:MM` of an ISO 8601 time (`2026-11-20T09:15:00+07:00`), the text itself otherwise.
fn hh_mm(iso: &str) -> &str {
    iso.get(11..16).unwrap_or(iso)
}

/// A small status dot with its text ("Trực tuyến" / "Mất kết nối").
#[component]
pub fn LiveStatus(live: Live) -> impl IntoView {
    view! {
        <span class="live-status" data-state=move || match live.state.get() {
            LiveState::Connecting => "connecting",
            LiveState::Open => "open",
            LiveState::Lost => "lost",
        }>
            <span class="live-dot" aria-hidden="true"></span>
            {move || match live.state.get() {
                LiveState::Connecting => t::LIVE_CONNECTING,
                LiveState::Open => t::LIVE_OPEN,
                LiveState::Lost => t::LIVE_OFF,
            }}
        </span>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::*;
    use std::cell::RefCell;
    use std::time::Duration;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use web_sys::{Event, EventSource, MessageEvent};

    /// The handlers of the page's stream, made once and reused by every reconnection.
    struct Handlers {
        open: Closure<dyn FnMut(Event)>,
        error: Closure<dyn FnMut(Event)>,
        kpi: Closure<dyn FnMut(MessageEvent)>,
        status: Closure<dyn FnMut(MessageEvent)>,
        alert: Closure<dyn FnMut(MessageEvent)>,
        task: Closure<dyn FnMut(MessageEvent)>,
    }

    thread_local! {
        static HANDLERS: RefCell<Option<Handlers>> = const { RefCell::new(None) };
        static SOURCE: RefCell<Option<EventSource>> = const { RefCell::new(None) };
    }

    fn now_ms() -> i64 {
        js_sys::Date::now() as i64
    }

    pub(super) fn open(live: Live) {
        // A page mounted again gets fresh handlers; the old stream is closed before its
        // handlers are dropped.
        SOURCE.with(|s| {
            if let Some(old) = s.borrow_mut().take() {
                old.close();
            }
        });
        HANDLERS.with(|h| *h.borrow_mut() = Some(handlers(live)));
        connect();
    }

    fn handlers(live: Live) -> Handlers {
        let open = Closure::<dyn FnMut(Event)>::new(move |_: Event| {
            live.state.set(LiveState::Open);
            live.lost_at_ms.set(None);
            // A stale server says so again right after connecting.
            live.stale_since.set(None);
        });
        let error = Closure::<dyn FnMut(Event)>::new(move |_: Event| {
            if live.state.get_untracked() != LiveState::Lost {
                live.lost_at_ms.set(Some(now_ms()));
            }
            live.state.set(LiveState::Lost);
            let closed = SOURCE.with(|s| {
                s.borrow()
                    .as_ref()
                    .is_none_or(|es| es.ready_state() == EventSource::CLOSED)
            });
            if closed {
                set_timeout(connect, Duration::from_millis(RETRY_MS));
            }
        });
        let kpi = Closure::<dyn FnMut(MessageEvent)>::new(move |_: MessageEvent| {
            live.state.set(LiveState::Open);
            live.updates.update(|n| *n += 1);
        });
        let status = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let Some(data) = e.data().as_string() else {
                return;
            };
            if let Ok(s) = crate::wire::from_json::<crate::wire::FeedStatus>(&data) {
                live.stale_since
                    .set(s.stale.then(|| s.since.unwrap_or_default()));
            }
        });
        let alert = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let Some(data) = e.data().as_string() else {
                return;
            };
            if let Ok(a) = crate::wire::from_json::<Alert>(&data) {
                live.alerts
                    .update(|l| push_bounded(l, a, MAX_ALERTS, |x, y| x.id == y.id));
            }
        });
        let task = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let Some(data) = e.data().as_string() else {
                return;
            };
            if let Ok(task) = crate::wire::from_json::<TaskItem>(&data) {
                live.tasks
                    .update(|l| push_bounded(l, task, MAX_TASKS, |x, y| x.id == y.id));
            }
        });
        Handlers {
            open,
            error,
            kpi,
            status,
            alert,
            task,
        }
    }

    fn connect() {
        SOURCE.with(|s| {
            if let Some(old) = s.borrow_mut().take() {
                old.close();
            }
        });
        let Ok(es) = EventSource::new("/api/live") else {
            set_timeout(connect, Duration::from_millis(RETRY_MS));
            return;
        };
        HANDLERS.with(|h| {
            if let Some(h) = h.borrow().as_ref() {
                es.set_onopen(Some(h.open.as_ref().unchecked_ref()));
                es.set_onerror(Some(h.error.as_ref().unchecked_ref()));
                let _ = es.add_event_listener_with_callback("kpi", h.kpi.as_ref().unchecked_ref());
                let _ = es
                    .add_event_listener_with_callback("status", h.status.as_ref().unchecked_ref());
                let _ =
                    es.add_event_listener_with_callback("alert", h.alert.as_ref().unchecked_ref());
                let _ =
                    es.add_event_listener_with_callback("task", h.task.as_ref().unchecked_ref());
            }
        });
        SOURCE.with(|s| *s.borrow_mut() = Some(es));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_stay_bounded_and_deduplicated() {
        let mut l = VecDeque::new();
        for i in 0..30 {
            push_bounded(&mut l, i % 20, 12, |a, b| a == b);
        }
        assert_eq!(l.len(), 12);
        assert_eq!(l.front(), Some(&9));
        push_bounded(&mut l, 5, 12, |a, b| a == b);
        assert_eq!(l.iter().filter(|x| **x == 5).count(), 1);
        assert_eq!(l.front(), Some(&5));
    }
}
