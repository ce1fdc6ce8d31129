//! `GET /api/live`: the KPI snapshot as server-sent events, then every new version.
//!
//! Each event is `event: kpi`, `id: <version>`, data = the snapshot scoped to the caller
//! (`scope=country`, the default, or `scope=province:<ma_tinh>`: national totals plus that
//! province and its offices, never other provinces' breakdown). `Last-Event-ID` equal to the
//! current version skips the initial snapshot; any other value gets the current snapshot (a
//! snapshot is complete, so nothing is lost). A client that falls behind skips to the newest
//! version (a `watch` channel keeps only the latest). Heartbeats every 15 s; the stream ends on
//! shutdown.

use crate::projection::Published;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use queries::kpi::{KpiRow, OverdueCount};
use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio_stream::wrappers::WatchStream;

/// Query string of `/api/live`.
#[derive(Debug, Deserialize)]
pub struct LiveQuery {
    pub scope: Option<String>,
}

/// Whose figures a stream carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Country,
    Province(String),
}

impl Scope {
    /// Parses `country` or `province:<ma_tinh>` (a known province code).
    ///
    /// # Errors
    /// A Vietnamese message naming the bad value.
    pub fn parse(s: Option<&str>) -> Result<Scope, String> {
        match s.unwrap_or("country") {
            "country" => Ok(Scope::Country),
            other => match other.strip_prefix("province:") {
                Some(code) if queries::org::province(code).is_some() => {
                    Ok(Scope::Province(code.to_string()))
                }
                _ => Err(format!(
                    "Phạm vi không hợp lệ: {other:?} (dùng country hoặc province:<mã tỉnh>)"
                )),
            },
        }
    }
}

/// What one event carries.
#[derive(Debug, Serialize)]
pub struct LivePayload<'a> {
    pub version: u64,
    pub as_of: Option<chrono::NaiveDate>,
    pub compute_ms: f64,
    pub national: Option<&'a KpiRow>,
    /// Every province (country scope) or only the caller's.
    pub provinces: Vec<&'a KpiRow>,
    /// Offices of the caller's province (province scope only).
    pub offices: Vec<&'a KpiRow>,
    /// Overdue counts per rule: national totals (country) or the province's (province).
    pub overdue: Vec<(&'a str, u64)>,
}

/// Builds the scoped payload of a snapshot.
pub fn scoped<'a>(p: &'a Published, scope: &Scope) -> LivePayload<'a> {
    let Some(kpi) = &p.kpi else {
        return LivePayload {
            version: p.version,
            as_of: None,
            compute_ms: p.compute_ms,
            national: None,
            provinces: Vec::new(),
            offices: Vec::new(),
            overdue: Vec::new(),
        };
    };
    let in_province = |r: &&KpiRow, code: &str| r.ma_tinh.as_deref() == Some(code);
    let (provinces, offices, overdue) = match scope {
        Scope::Country => (
            kpi.by_province.iter().collect(),
            Vec::new(),
            kpi.overdue
                .iter()
                .map(|o: &OverdueCount| (o.rule.code(), o.total))
                .collect(),
        ),
        Scope::Province(code) => (
            kpi.by_province
                .iter()
                .filter(|r| in_province(r, code))
                .collect(),
            kpi.by_office
                .iter()
                .filter(|r| in_province(r, code))
                .collect(),
            kpi.overdue
                .iter()
                .map(|o| {
                    let n = o.by_province.get(code).copied().unwrap_or(0);
                    (o.rule.code(), n)
                })
                .collect(),
        ),
    };
    LivePayload {
        version: p.version,
        as_of: Some(kpi.as_of),
        compute_ms: p.compute_ms,
        national: Some(&kpi.national),
        provinces,
        offices,
        overdue,
    }
}

/// The SSE handler.
pub async fn stream(
    State(state): State<crate::State>,
    Query(q): Query<LiveQuery>,
    headers: HeaderMap,
) -> Response {
    let scope = match Scope::parse(q.scope.as_deref()) {
        Ok(s) => s,
        Err(msg) => return (StatusCode::BAD_REQUEST, msg).into_response(),
    };
    let resume_from: Option<u64> = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    let events = WatchStream::new(state.projection.subscribe())
        .filter(move |p: &Arc<Published>| std::future::ready(Some(p.version) != resume_from))
        .map(move |p| Ok::<Event, Infallible>(to_event(&p, &scope)))
        .take_until(state.shutdown.clone().cancelled_owned());
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

fn to_event(p: &Published, scope: &Scope) -> Event {
    let payload = scoped(p, scope);
    match serde_json::to_string(&payload) {
        Ok(json) => Event::default()
            .event("kpi")
            .id(p.version.to_string())
            .data(json),
        Err(e) => {
            tracing::error!(error = %e, "serialising a KPI snapshot");
            Event::default().event("error").data("snapshot unavailable")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_reject_unknown_provinces() {
        assert_eq!(Scope::parse(None), Ok(Scope::Country));
        assert_eq!(
            Scope::parse(Some("province:01")),
            Ok(Scope::Province("01".into()))
        );
        assert!(Scope::parse(Some("province:99")).is_err());
        assert!(Scope::parse(Some("all")).is_err());
    }
}
