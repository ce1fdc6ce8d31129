//! The event ingest API: `POST /api/events` takes a JSON batch of domain events and applies it
//! to the store atomically; `GET /api/events/schema` publishes the batch's JSON Schema.
//!
//! - [`events`]: the serde types, the checks that need no database, the JSON Schema;
//! - [`apply`]: the transaction that applies a batch (state machine, invariants, idempotency);
//! - [`simulate`]: `ioc simulate`, a client that sends a realistic event stream.
//!
//! A request is acknowledged only after its transaction committed, with its change set in the
//! change log (`crate::feed`) in the same transaction. Re-sent event ids are acknowledged as
//! duplicates and not applied twice. Until users and roles land, writes need
//! `Authorization: Bearer <IOC_INGEST_TOKEN>`.
//!
//! Status codes: 200 `{accepted, duplicates, events}`; 400 malformed JSON, unknown event type;
//! 401 missing or wrong token; 413 body or batch too large; 422 `{error, event_index, field,
//! reason}` for an invalid event (nothing is stored); 503 with `Retry-After` when the database
//! is busy, unreachable or read-only, or ingest is disabled; 500 any other database failure.

pub mod apply;
pub mod events;
pub mod simulate;

use apply::{ApplyError, Outcome};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State as AxState};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::NaiveDate;
use events::{Event, Rejection, MAX_BATCH};
use queries::access::ClientAddr;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;
use tracing::instrument;

/// Largest request body accepted by `POST /api/events` (bytes).
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Why a batch was refused. Every variant answers with a JSON body `{"error": …}`; invalid
/// events add `event_index`, `field` and `reason`.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// No `IOC_INGEST_TOKEN` is configured (503).
    #[error("nhận sự kiện đang tắt: máy chủ chưa cấu hình IOC_INGEST_TOKEN")]
    Disabled,
    /// The bearer token is missing or wrong (401).
    #[error("thiếu hoặc sai mã truy cập: gửi header Authorization: Bearer <IOC_INGEST_TOKEN>")]
    Unauthorized,
    /// Too many wrong tokens from this address (429); retry after the minutes given.
    #[error("có quá nhiều lần gửi sai mã truy cập từ địa chỉ này; thử lại sau {0} phút")]
    Throttled(u64),
    /// The body could not be read (413 too large, 400 otherwise).
    #[error("không đọc được nội dung yêu cầu: {message}")]
    Body { status: StatusCode, message: String },
    /// The body is not the expected JSON shape (400).
    #[error("JSON không hợp lệ: {0}")]
    Malformed(String),
    /// An event is not an object or its `type` is missing or unknown (400).
    #[error("sự kiện #{}, trường {}: {}", .0.index, .0.field, .0.reason)]
    UnknownEvent(Rejection),
    /// More than [`MAX_BATCH`] events (413).
    #[error("lô có {0} sự kiện, tối đa {MAX_BATCH}")]
    TooMany(usize),
    /// An event is invalid or contradicts the stored data (422); nothing was stored.
    #[error("sự kiện #{}, trường {}: {}", .0.index, .0.field, .0.reason)]
    Invalid(Rejection),
    /// The database failed (503 when it is busy, unreachable or read-only, else 500); nothing
    /// was stored.
    #[error("lỗi cơ sở dữ liệu: {0}")]
    Store(#[source] sqlx::Error),
}

impl IngestError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            IngestError::Disabled => StatusCode::SERVICE_UNAVAILABLE,
            IngestError::Unauthorized => StatusCode::UNAUTHORIZED,
            IngestError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            IngestError::Body { status, .. } => *status,
            IngestError::Malformed(_) | IngestError::UnknownEvent(_) => StatusCode::BAD_REQUEST,
            IngestError::TooMany(_) => StatusCode::PAYLOAD_TOO_LARGE,
            IngestError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            IngestError::Store(e) if crate::store::unavailable(e) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            IngestError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<ApplyError> for IngestError {
    fn from(e: ApplyError) -> Self {
        match e {
            ApplyError::Rejected(r) => IngestError::Invalid(r),
            ApplyError::Sql(e) => IngestError::Store(e),
        }
    }
}

impl IntoResponse for IngestError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match &self {
            IngestError::Invalid(r) | IngestError::UnknownEvent(r) => json!({
                "error": self.to_string(),
                "event_index": r.index,
                "field": r.field,
                "reason": r.reason,
            }),
            // Internals stay in the log.
            IngestError::Store(_) if status == StatusCode::SERVICE_UNAVAILABLE => json!({
                "error": format!(
                    "cơ sở dữ liệu tạm thời không nhận ghi (đang bận, mất kết nối hoặc chỉ đọc); \
                     không có sự kiện nào được lưu, gửi lại lô sau {} giây",
                    crate::store::RETRY_AFTER_S
                )
            }),
            IngestError::Store(_) => {
                json!({"error": "lỗi cơ sở dữ liệu; không có sự kiện nào được lưu"})
            }
            _ => json!({"error": self.to_string()}),
        };
        // Refused requests are the client's business: a warning. Faults of ours are errors.
        if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
            tracing::error!(error = %self, "ingest failed");
        } else {
            tracing::warn!(%status, error = %self, "ingest refused");
        }
        let mut response =
            if matches!(self, IngestError::Store(_)) && status == StatusCode::SERVICE_UNAVAILABLE {
                crate::web::unavailable_response(Json(body))
            } else {
                (status, Json(body)).into_response()
            };
        if let IngestError::Throttled(minutes) = self {
            if let Ok(v) = header::HeaderValue::from_str(&(minutes * 60).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

/// What happened to one event of an accepted batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventAck {
    pub id: String,
    /// `applied` or `duplicate`.
    pub status: String,
    /// Keys the event created or touched (`viec_id`, `ma_viec`, `so_bien_lai`, `don_thu_id`, …).
    pub result: Value,
}

/// The answer to an accepted batch: sent only after the commit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchAck {
    /// Events applied by this request.
    pub accepted: usize,
    /// Events acknowledged because their id was already ingested.
    pub duplicates: usize,
    pub events: Vec<EventAck>,
}

/// The ingest routes, with their body limit, ready to `.merge()` into the main router.
pub fn routes<S>(state: crate::State) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/api/events", post(post_events))
        .route("/api/events/schema", get(schema))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

async fn schema() -> Json<Value> {
    Json(events::json_schema())
}

/// Whether the request carries `Authorization: Bearer <expected>`.
fn authorised(headers: &HeaderMap, expected: &str) -> bool {
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    // Compare every byte so the time taken does not reveal the matching prefix.
    let (a, b) = (given.trim().as_bytes(), expected.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Reads the batch: `{"events": [...]}` (or a bare array), every event parsed and checked.
///
/// # Errors
/// 400/413/422 variants of [`IngestError`], naming the first bad event.
pub fn parse_batch(body: &[u8], latest: NaiveDate) -> Result<Vec<Event>, IngestError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| IngestError::Malformed(events::json_error_in_vietnamese(&e)))?;
    let items = match value {
        Value::Array(items) => items,
        Value::Object(mut obj) => {
            let events = obj.remove("events");
            if let Some(key) = obj.keys().next() {
                return Err(IngestError::Malformed(format!(
                    "khóa không hỗ trợ {key:?}; lô có dạng {{\"events\": [...]}}"
                )));
            }
            match events {
                Some(Value::Array(items)) => items,
                _ => {
                    return Err(IngestError::Malformed(
                        "thiếu mảng \"events\"; lô có dạng {\"events\": [...]}".into(),
                    ))
                }
            }
        }
        _ => {
            return Err(IngestError::Malformed(
                "lô có dạng {\"events\": [...]}".into(),
            ))
        }
    };
    if items.is_empty() {
        return Err(IngestError::Malformed("lô không có sự kiện nào".into()));
    }
    if items.len() > MAX_BATCH {
        return Err(IngestError::TooMany(items.len()));
    }
    let mut events = Vec::with_capacity(items.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (index, item) in items.into_iter().enumerate() {
        let mut event = events::parse_event(index, item).map_err(|e| match e {
            Ok(r) => IngestError::Invalid(r),
            Err(r) => IngestError::UnknownEvent(r),
        })?;
        event.normalise();
        events::check_event(index, &event, latest).map_err(IngestError::Invalid)?;
        if let Some(first) = seen.insert(event.id().to_string(), index) {
            return Err(IngestError::Invalid(Rejection::new(
                index,
                "id",
                format!(
                    "mã sự kiện {:?} trùng với sự kiện #{first} trong cùng lô",
                    event.id()
                ),
            )));
        }
        events.push(event);
    }
    Ok(events)
}

/// `POST /api/events`.
#[instrument(skip_all, fields(batch = tracing::field::Empty))]
async fn post_events(
    AxState(state): AxState<crate::State>,
    Extension(ClientAddr(addr)): Extension<ClientAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<BatchAck>, IngestError> {
    let Some(expected) = state.ingest_token.as_deref() else {
        return Err(IngestError::Disabled);
    };
    // A wrong token counts toward the address's limit like a wrong password.
    let throttle = &state.auth.throttle;
    throttle
        .check_address(&addr)
        .map_err(|locked| IngestError::Throttled(locked.minutes()))?;
    if !authorised(&headers, expected) {
        throttle.fail_address(&addr);
        return Err(IngestError::Unauthorized);
    }
    let body = body.map_err(|r| IngestError::Body {
        status: r.status(),
        message: r.body_text(),
    })?;
    let as_of = state
        .projection
        .with_frames(|_, as_of| as_of)
        .ok()
        .flatten();
    let latest = events::latest_date(as_of, chrono::Utc::now().date_naive());
    let events = parse_batch(&body, latest)?;
    tracing::Span::current().record("batch", events.len());
    let (outcomes, position) = apply::apply_batch(&state.store, &events).await?;
    // Committed, with its changes in the log: wake the projection to read them.
    if position.is_some() {
        state.feed.wake();
    }
    let mut ack = BatchAck {
        accepted: 0,
        duplicates: 0,
        events: Vec::with_capacity(events.len()),
    };
    for (event, outcome) in events.iter().zip(outcomes) {
        let (status, result) = match outcome {
            Outcome::Applied(r) => {
                ack.accepted += 1;
                ("applied", r)
            }
            Outcome::Duplicate(r) => {
                ack.duplicates += 1;
                ("duplicate", r)
            }
        };
        ack.events.push(EventAck {
            id: event.id().to_string(),
            status: status.into(),
            result,
        });
    }
    tracing::info!(
        accepted = ack.accepted,
        duplicates = ack.duplicates,
        "batch committed"
    );
    Ok(Json(ack))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn bearer_token_must_match_exactly() {
        let mut h = HeaderMap::new();
        assert!(!authorised(&h, "secret"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer secret"),
        );
        assert!(authorised(&h, "secret"));
        assert!(!authorised(&h, "secreT"));
        assert!(!authorised(&h, "secret2"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic secret"),
        );
        assert!(!authorised(&h, "secret"));
    }

    #[test]
    fn batch_shapes() {
        let ok = br#"{"events":[{"type":"complaint_resolved","id":"a","don_thu_id":1,"ngay_giai_quyet":"2026-11-20","ket_qua":"dung"}]}"#;
        assert_eq!(parse_batch(ok, events::MAX_DATE).expect("valid").len(), 1);
        let status = |b: &[u8]| {
            parse_batch(b, events::MAX_DATE)
                .expect_err("invalid")
                .status()
        };
        assert_eq!(status(b"{not json"), StatusCode::BAD_REQUEST);
        assert_eq!(status(br#"{"events":[]}"#), StatusCode::BAD_REQUEST);
        assert_eq!(status(br#"{"evts":[]}"#), StatusCode::BAD_REQUEST);
        assert_eq!(
            status(br#"[{"type":"nope","id":"a"}]"#),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            status(br#"[{"type":"complaint_resolved","id":"a"}]"#),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        let many = format!("[{}]", vec![r#"{"type":"x"}"#; MAX_BATCH + 1].join(","));
        assert_eq!(status(many.as_bytes()), StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[test]
    fn same_id_twice_in_a_batch_is_a_conflict() {
        let b = br#"[{"type":"complaint_resolved","id":"a","don_thu_id":1,"ngay_giai_quyet":"2026-11-20","ket_qua":"dung"},
                     {"type":"complaint_resolved","id":"a","don_thu_id":2,"ngay_giai_quyet":"2026-11-20","ket_qua":"dung"}]"#;
        match parse_batch(b, events::MAX_DATE) {
            Err(IngestError::Invalid(r)) => assert_eq!((r.index, r.field.as_str()), (1, "id")),
            other => panic!("{other:?}"),
        }
    }
}
