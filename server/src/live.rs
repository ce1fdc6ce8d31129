//! `GET /api/live`: the KPIs as server-sent events — a snapshot, then versioned deltas — and
//! the live alerts.
//!
//! # Event format
//!
//! Every `kpi` event carries `id: <version>-<instance>` (the browser sends it back as
//! `Last-Event-ID` when it reconnects): the version is the change-log position the figures
//! have applied (it grows across restarts and means the same on every instance), the instance
//! names the process that computed them. Other events carry no id.
//!
//! - `event: kpi`, data `{"kind":"snapshot", …}`: the whole scoped view —
//!   `version`, `as_of` (`YYYY-MM-DD`), `compute_ms`, `national` (a `KpiRow`), `provinces`
//!   (every province for the national scope, else the caller's own), `offices` (the offices of
//!   the caller's province; only the caller's own office for an office or officer scope; empty
//!   for the national scope), `overdue` (`[["QH01", n], …]`: national totals, or the
//!   province's), `alerts` (the most recent alerts in scope, oldest first, at most 50).
//! - `event: kpi`, data `{"kind":"delta", "base": <the previous version>, …}`: what changed
//!   since version `base`, with the same fields: `national` only when it changed (else absent),
//!   `provinces` / `offices` only the rows that changed (replace by `key`), `overdue` only when
//!   a count changed (else absent), `alerts` the alerts this version raised. A client applies a
//!   delta only on top of version `base`; the stream never sends one otherwise.
//! - `event: alert`, data one `app::wire::Alert` (`id`, `kind` = `overdue_breach` |
//!   `large_payment` | `new_complaint`, `ma_tinh`, `ten_tinh`, `title`, `detail`, `amount`,
//!   `at`, `version`). The alerts of a version are sent *before* its `kpi` event; after a
//!   snapshot the recent alerts in scope are sent first too. De-duplicate by `id`.
//! - `event: task`, data one `app::wire::dash::TaskItem` (`id`, `title`, `unit`, `due`,
//!   `progress`, `overdue`): a task was assigned or updated (`crate::tasks`), sent at once to
//!   the streams whose scope covers its unit; no id, not replayed. Replace by `id`.
//!
//! - `event: status`, data `{"stale": bool, "since": time or null, "applied": version}`: sent
//!   when the server's figures stop (or resume) following the store — it cannot read the
//!   change log (database unreachable) — and at connect while they are stale. Screens show a
//!   "figures may be out of date" banner while `stale`.
//!
//! On connect: a snapshot of the latest version. A `Last-Event-ID` of this process equal to
//! the latest version sends nothing until the next one; an older one still kept (the last 32
//! versions, every one computed incrementally) replays the deltas after it, without gaps;
//! anything else — another process's or replica's id, one from before a restart, unknown, too
//! old, after a full reload — gets a snapshot at once. Heartbeats every 15 s.
//!
//! Slow clients: each stream has its own bounded buffer ([`CLIENT_BUFFER`] events) and reads
//! versions from a bounded broadcast ([`crate::projection::STREAM_BUFFER`]); a client that
//! falls behind never holds up the others or the projection — its stream skips to a snapshot
//! of the latest version. Serialised events are shared by every client of the same scope.
//! Shutdown ends every stream.
//!
//! Scope: [`resolve_scope`] is the one place that decides it — the session's scope (put in the
//! request by `crate::auth::middleware`), narrowed by `?scope=` (`country` or
//! `province:<ma_tinh>`) only within what the session may see (403 otherwise; see
//! `crate::auth::live_scope`). Everything else reads the [`Scope`] only.

use crate::projection::{FeedHealth, Projection, Published};
use app::wire::Alert;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use queries::kpi::KpiRow;
use queries::Scope;
use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;

/// Events buffered per client before its stream waits (and then skips to a snapshot).
pub const CLIENT_BUFFER: usize = 32;

/// Query string of `/api/live`.
#[derive(Debug, Deserialize)]
pub struct LiveQuery {
    pub scope: Option<String>,
}

/// Parses the `scope` parameter: `country` (default), `national`, `kiosk` or
/// `province:<ma_tinh>` (a known province code).
///
/// # Errors
/// A Vietnamese message naming the bad value.
pub fn parse_scope(s: Option<&str>) -> Result<Scope, String> {
    match s.unwrap_or("country") {
        "country" | "national" | "central" => Ok(Scope::National),
        "kiosk" => Ok(Scope::Kiosk),
        other => match other.strip_prefix("province:") {
            Some(code) if queries::org::province(code).is_some() => Ok(Scope::Province {
                ma_tinh: code.to_string(),
            }),
            _ => Err(format!(
                "Phạm vi không hợp lệ: {other:?} (dùng country hoặc province:<mã tỉnh>)"
            )),
        },
    }
}

/// The scope of one stream. The one place to bind it to the signed-in user.
///
/// # Errors
/// A Vietnamese message for a bad `scope` parameter.
pub fn resolve_scope(q: &LiveQuery, session: &Scope) -> Result<Scope, (StatusCode, String)> {
    crate::auth::live_scope(session, q.scope.as_deref())
}

/// A short stable name of a scope, for caching serialised events.
fn scope_key(scope: &Scope) -> String {
    match scope {
        Scope::National | Scope::Kiosk => "national".into(),
        Scope::Province { ma_tinh } => format!("province:{ma_tinh}"),
        Scope::Office { don_vi_id, .. } => format!("office:{don_vi_id}"),
        Scope::Officer { don_vi_id, .. } => format!("office:{don_vi_id}"),
    }
}

/// What one `kpi` event carries (see the module doc).
#[derive(Debug, Serialize)]
pub struct LivePayload<'a> {
    /// `snapshot` or `delta`.
    pub kind: &'static str,
    pub version: u64,
    /// Deltas: the version they apply to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<u64>,
    pub as_of: Option<chrono::NaiveDate>,
    pub compute_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub national: Option<&'a KpiRow>,
    pub provinces: Vec<&'a KpiRow>,
    pub offices: Vec<&'a KpiRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overdue: Option<Vec<(&'a str, u64)>>,
    pub alerts: Vec<&'a Alert>,
}

/// The rows of `p` a scope sees.
struct View<'a> {
    national: Option<&'a KpiRow>,
    provinces: Vec<&'a KpiRow>,
    offices: Vec<&'a KpiRow>,
    overdue: Vec<(&'a str, u64)>,
}

fn view<'a>(p: &'a Published, scope: &Scope) -> View<'a> {
    let Some(kpi) = &p.kpi else {
        return View {
            national: None,
            provinces: Vec::new(),
            offices: Vec::new(),
            overdue: Vec::new(),
        };
    };
    let Some(code) = scope.province() else {
        return View {
            national: Some(&kpi.national),
            provinces: kpi.by_province.iter().collect(),
            offices: Vec::new(),
            overdue: kpi
                .overdue
                .iter()
                .map(|o| (o.rule.code(), o.total))
                .collect(),
        };
    };
    let own_office = match scope {
        Scope::Office { don_vi_id, .. } | Scope::Officer { don_vi_id, .. } => Some(*don_vi_id),
        _ => None,
    };
    View {
        national: Some(&kpi.national),
        provinces: kpi
            .by_province
            .iter()
            .filter(|r| r.ma_tinh.as_deref() == Some(code))
            .collect(),
        offices: kpi
            .by_office
            .iter()
            .filter(|r| r.ma_tinh.as_deref() == Some(code))
            .filter(|r| own_office.is_none_or(|id| r.don_vi_id == Some(id)))
            .collect(),
        overdue: kpi
            .overdue
            .iter()
            .map(|o| (o.rule.code(), o.by_province.get(code).copied().unwrap_or(0)))
            .collect(),
    }
}

/// The full scoped payload of `p`.
pub fn snapshot<'a>(p: &'a Published, scope: &Scope) -> LivePayload<'a> {
    let v = view(p, scope);
    LivePayload {
        kind: "snapshot",
        version: p.version,
        base: None,
        as_of: p.kpi.as_ref().map(|k| k.as_of),
        compute_ms: p.compute_ms,
        national: v.national,
        provinces: v.provinces,
        offices: v.offices,
        overdue: Some(v.overdue),
        alerts: p
            .recent_alerts
            .iter()
            .filter(|a| scope.may_see_province(&a.ma_tinh))
            .collect(),
    }
}

/// What changed in the scoped view from `before` to `after`.
pub fn delta<'a>(before: &Published, after: &'a Published, scope: &Scope) -> LivePayload<'a> {
    let (old, new) = (view(before, scope), view(after, scope));
    let changed = |rows: Vec<&'a KpiRow>, old: &[&KpiRow]| -> Vec<&'a KpiRow> {
        rows.into_iter()
            .filter(|r| !old.iter().any(|o| o.key == r.key && *o == *r))
            .collect()
    };
    LivePayload {
        kind: "delta",
        version: after.version,
        base: Some(before.version),
        as_of: after.kpi.as_ref().map(|k| k.as_of),
        compute_ms: after.compute_ms,
        national: new.national.filter(|n| old.national != Some(*n)),
        provinces: changed(new.provinces, &old.provinces),
        offices: changed(new.offices, &old.offices),
        overdue: (new.overdue != old.overdue).then_some(new.overdue),
        alerts: after
            .alerts
            .iter()
            .filter(|a| scope.may_see_province(&a.ma_tinh))
            .collect(),
    }
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| {
        tracing::error!(error = %e, "serialising a live event");
        "null".into()
    })
}

/// The SSE id of a version: `<version>-<instance in hex>`.
pub fn event_id(p: &Published) -> String {
    format!("{}-{:x}", p.version, p.instance)
}

/// The version a `Last-Event-ID` names, when this process published it (`instance`).
pub fn own_version(last_event_id: &str, instance: u64) -> Option<u64> {
    let (version, from) = last_event_id.trim().split_once('-')?;
    (u64::from_str_radix(from, 16).ok()? == instance)
        .then(|| version.parse().ok())
        .flatten()
}

fn kpi_event(p: &Published, text: &str) -> Event {
    Event::default().event("kpi").id(event_id(p)).data(text)
}

fn status_event(health: &FeedHealth, applied: u64) -> Event {
    Event::default()
        .event("status")
        .data(json(&app::wire::FeedStatus {
            stale: health.stale,
            since: health.failing.as_ref().map(|(since, _)| since.clone()),
            applied,
        }))
}

fn alert_event(p: &Published, alert: &Alert) -> Event {
    let text = p.cached(&format!("alert:{}", alert.id), || json(alert));
    Event::default().event("alert").data(&*text)
}

/// The events of a snapshot: the recent alerts in scope newer than `after` (all when `None`),
/// then the `kpi` snapshot.
fn snapshot_events(p: &Published, scope: &Scope, after: Option<u64>) -> Vec<Event> {
    let mut out: Vec<Event> = p
        .recent_alerts
        .iter()
        .filter(|a| scope.may_see_province(&a.ma_tinh) && after.is_none_or(|v| a.version > v))
        .map(|a| alert_event(p, a))
        .collect();
    let text = p.cached(&format!("snapshot:{}", scope_key(scope)), || {
        json(&snapshot(p, scope))
    });
    out.push(kpi_event(p, &text));
    out
}

/// The events of version `after` for a client at `before` (= `after.base`).
fn delta_events(before: &Published, after: &Published, scope: &Scope) -> Vec<Event> {
    let mut out: Vec<Event> = after
        .alerts
        .iter()
        .filter(|a| scope.may_see_province(&a.ma_tinh))
        .map(|a| alert_event(after, a))
        .collect();
    let text = after.cached(&format!("delta:{}", scope_key(scope)), || {
        json(&delta(before, after, scope))
    });
    out.push(kpi_event(after, &text));
    out
}

/// The SSE handler.
pub async fn stream(
    State(state): State<crate::State>,
    Query(q): Query<LiveQuery>,
    axum::Extension(session): axum::Extension<Scope>,
    headers: HeaderMap,
) -> Response {
    let scope = match resolve_scope(&q, &session) {
        Ok(s) => s,
        Err(refusal) => return refusal.into_response(),
    };
    let resume_from: Option<String> = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (tx, rx) = mpsc::channel::<Event>(CLIENT_BUFFER);
    tokio::spawn(feed_client(
        state.projection.clone(),
        state.tasks.subscribe(),
        scope,
        resume_from,
        tx,
        state.shutdown.clone(),
    ));
    Sse::new(ReceiverStream::new(rx).map(Ok::<Event, Infallible>))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// Sends `events` in order; `false` when the client is gone or the server stops.
async fn send_all(
    tx: &mpsc::Sender<Event>,
    events: Vec<Event>,
    shutdown: &CancellationToken,
) -> bool {
    for event in events {
        let sent = tokio::select! {
            () = shutdown.cancelled() => return false,
            r = tx.send(event) => r,
        };
        if sent.is_err() {
            return false;
        }
    }
    true
}

/// One client's stream: the first events, then one delta per version (or a snapshot after a
/// gap), until the client leaves or the server stops.
async fn feed_client(
    projection: Projection,
    mut tasks: broadcast::Receiver<Arc<crate::tasks::TaskEvent>>,
    scope: Scope,
    resume_from: Option<String>,
    tx: mpsc::Sender<Event>,
    shutdown: CancellationToken,
) {
    let mut health = projection.health();
    let (mut versions, latest) = projection.stream();
    let mut last: Arc<Published> = latest.clone();
    let resume_from = resume_from.and_then(|id| own_version(&id, latest.instance));
    let mut first = match resume_from {
        Some(v) if v == latest.version => Vec::new(),
        Some(v) => match projection.since(v) {
            Some(chain) if chain.len() > 1 => {
                let mut events = Vec::new();
                for pair in chain.windows(2) {
                    events.extend(delta_events(&pair[0], &pair[1], &scope));
                }
                if let Some(end) = chain.last() {
                    last = end.clone();
                }
                events
            }
            _ => snapshot_events(&latest, &scope, None),
        },
        None => snapshot_events(&latest, &scope, None),
    };
    let mut stale = health.borrow_and_update().stale;
    if stale {
        first.insert(0, status_event(&health.borrow(), latest.version));
    }
    if !send_all(&tx, first, &shutdown).await {
        return;
    }
    loop {
        let msg = tokio::select! {
            () = shutdown.cancelled() => return,
            task = tasks.recv() => {
                if !send_task(&tx, task, &scope, &shutdown).await {
                    return;
                }
                continue;
            }
            changed = health.changed() => {
                if changed.is_err() {
                    return;
                }
                let now = health.borrow_and_update().clone();
                if now.stale != stale {
                    stale = now.stale;
                    let event = status_event(&now, projection.latest().version);
                    if !send_all(&tx, vec![event], &shutdown).await {
                        return;
                    }
                }
                continue;
            }
            msg = versions.recv() => msg,
        };
        let (events, next) = match msg {
            Ok(p) if p.version <= last.version => continue,
            Ok(p) if p.base == Some(last.version) => (delta_events(&last, &p, &scope), p),
            Ok(p) => (snapshot_events(&p, &scope, Some(last.version)), p),
            Err(broadcast::error::RecvError::Lagged(_)) => {
                let p = projection.latest();
                if p.version <= last.version {
                    continue;
                }
                (snapshot_events(&p, &scope, Some(last.version)), p)
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        if !send_all(&tx, events, &shutdown).await {
            return;
        }
        last = next;
    }
}

/// Sends a task event when `scope` sees it; `false` when the client is gone, the server stops
/// or the task bus closed. A stream that lagged on the bus skips the missed tasks (the pages
/// re-read their lists on the next event).
async fn send_task(
    tx: &mpsc::Sender<Event>,
    task: Result<Arc<crate::tasks::TaskEvent>, broadcast::error::RecvError>,
    scope: &Scope,
    shutdown: &CancellationToken,
) -> bool {
    match task {
        Ok(t) if t.seen_by(scope) => {
            let event = Event::default().event("task").data(json(&t.item));
            send_all(tx, vec![event], shutdown).await
        }
        Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => true,
        Err(broadcast::error::RecvError::Closed) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_reject_unknown_provinces() {
        assert_eq!(parse_scope(None), Ok(Scope::National));
        assert_eq!(parse_scope(Some("kiosk")), Ok(Scope::Kiosk));
        assert_eq!(
            parse_scope(Some("province:01")),
            Ok(Scope::Province {
                ma_tinh: "01".into()
            })
        );
        assert!(parse_scope(Some("province:99")).is_err());
        assert!(parse_scope(Some("all")).is_err());
    }

    fn alert(ma_tinh: &str) -> Alert {
        Alert {
            id: "payment:1".into(),
            kind: app::wire::AlertKind::LargePayment,
            ma_tinh: ma_tinh.into(),
            ten_tinh: String::new(),
            title: String::new(),
            detail: String::new(),
            amount: Some(1),
            at: String::new(),
            version: 2,
            raised_at_us: 0,
        }
    }

    #[test]
    fn only_this_process_ids_resume() {
        assert_eq!(own_version("42-ff", 0xff), Some(42));
        assert_eq!(own_version(" 42-ff ", 0xff), Some(42));
        assert_eq!(own_version("42-fe", 0xff), None, "another process");
        assert_eq!(
            own_version("42", 0xff),
            None,
            "an id from before versions had instances"
        );
        assert_eq!(own_version("x-ff", 0xff), None);
    }

    #[test]
    fn alerts_follow_the_scope() {
        let hn = Scope::Province {
            ma_tinh: "01".into(),
        };
        assert!(Scope::National.may_see_province(&alert("79").ma_tinh));
        assert!(Scope::Kiosk.may_see_province(&alert("").ma_tinh));
        assert!(hn.may_see_province(&alert("01").ma_tinh));
        assert!(!hn.may_see_province(&alert("79").ma_tinh));
        assert!(!hn.may_see_province(&alert("").ma_tinh));
    }

    /// The `kpi` events of a client's channel as the browser would read them: (id, kind).
    async fn kpi_events(rx: mpsc::Receiver<Event>, until_version: u64) -> Vec<(u64, String)> {
        let body = Sse::new(ReceiverStream::new(rx).map(Ok::<Event, Infallible>))
            .into_response()
            .into_body();
        let mut chunks = body.into_data_stream();
        let mut text = String::new();
        let mut seen = Vec::new();
        while seen.last().is_none_or(|(v, _)| *v < until_version) {
            let chunk = tokio::time::timeout(Duration::from_secs(30), chunks.next())
                .await
                .expect("an event within 30 s")
                .expect("stream open")
                .expect("chunk");
            text.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = text.find("\n\n") {
                let block: String = text.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(&format!("{name}:")))
                        .map(str::trim)
                };
                if field("event") != Some("kpi") {
                    continue;
                }
                let id = field("id")
                    .and_then(|v| v.split_once('-'))
                    .and_then(|(v, _)| v.parse().ok())
                    .expect("kpi id <version>-<instance>");
                let data: serde_json::Value =
                    serde_json::from_str(field("data").expect("data")).expect("json");
                seen.push((id, data["kind"].as_str().unwrap_or_default().to_owned()));
            }
        }
        seen
    }

    /// A seeded store (scale 0.001), its projection and the updater applying its change log.
    struct Running {
        _dir: tempfile::TempDir,
        store: crate::store::Store,
        projection: Projection,
        feed: crate::feed::Feed,
        stop: CancellationToken,
        updater: tokio::task::JoinHandle<()>,
    }

    async fn running() -> Running {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite:{}", dir.path().join("ioc.db").display());
        let store = crate::store::Store::connect(&url).await.expect("connect");
        store.migrate().await.expect("migrate");
        let params = crate::seed::Params {
            seed: 42,
            as_of: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
            scale: 0.001,
        };
        crate::seed::run(&store, &params, false)
            .await
            .expect("seed");
        let projection = Projection::load(&store).await.expect("projection");
        let feed = crate::feed::Feed::new();
        let stop = CancellationToken::new();
        let updater = projection.spawn_updater(store.clone(), &feed, stop.clone());
        Running {
            _dir: dir,
            store,
            projection,
            feed,
            stop,
            updater,
        }
    }

    impl Running {
        /// Logs a change and waits until the projection has published `version`.
        async fn publish_one(&self, version: u64) {
            let changes = crate::feed::ChangeSet::of(queries::schema::Table::ViecThiHanh, 1);
            crate::feed::append(&self.store, &changes)
                .await
                .expect("log");
            self.feed.wake();
            while self.projection.latest().version < version {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }

        /// Stops the updater and waits for it.
        async fn stop(self) {
            self.stop.cancel();
            self.updater.await.expect("updater");
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_slow_client_skips_to_a_snapshot_and_never_holds_up_the_others() {
        let r = running().await;
        let (task_bus, _) = broadcast::channel::<Arc<crate::tasks::TaskEvent>>(1);
        let client = || {
            let (tx, rx) = mpsc::channel(CLIENT_BUFFER);
            tokio::spawn(feed_client(
                r.projection.clone(),
                task_bus.subscribe(),
                Scope::National,
                None,
                tx,
                r.stop.clone(),
            ));
            rx
        };
        // The slow client is never read until the end; the other one reads as it goes.
        let slow = client();
        let last =
            1 + u64::try_from(CLIENT_BUFFER + crate::projection::STREAM_BUFFER + 8).expect("small");
        let fast = tokio::spawn(kpi_events(client(), last));
        assert_eq!(
            r.projection.latest().version,
            0,
            "a seeded store has logged nothing"
        );
        for version in 1..=last {
            r.publish_one(version).await;
        }
        let fast = fast.await.expect("fast reader");
        let ids: Vec<u64> = fast.iter().map(|(v, _)| *v).collect();
        assert_eq!(
            ids,
            (0..=last).collect::<Vec<_>>(),
            "the reading client got every version in order while the other one stalled"
        );
        assert!(
            fast[1..].iter().all(|(_, kind)| kind == "delta"),
            "{fast:?}"
        );

        let slow = kpi_events(slow, last).await;
        assert_eq!(
            slow.last(),
            Some(&(last, "snapshot".to_owned())),
            "{slow:?}"
        );
        assert!(
            slow.len() < fast.len(),
            "the stalled client skipped versions instead of replaying them all: {slow:?}"
        );
        r.stop().await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn published_versions_are_released_once_out_of_the_history() {
        let r = running().await;
        let first = Arc::downgrade(&r.projection.latest());
        let last = u64::try_from(crate::projection::HISTORY * 2 + 8).expect("small");
        for version in 1..=last {
            r.publish_one(version).await;
        }
        assert_eq!(
            first.strong_count(),
            0,
            "the first version is held after {last} more (history keeps {})",
            crate::projection::HISTORY
        );
        r.stop().await;
    }
}
