//! Types that cross the wire between server functions and the browser, and the one JSON codec
//! ([`Json`], [`resource`], [`from_json`]) the browser decodes them with.

use leptos::prelude::*;
use leptos::server::codee::{Decoder, Encoder};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::future::Future;

pub mod ask;
pub mod dash;
pub mod tasks;

/// The codec of every page resource: JSON decoded from bytes, as the server functions' JSON
/// responses are. Leptos' default resource codec decodes from `&str`, which compiles a second
/// copy of every wire type's deserializer into the wasm bundle.
pub struct Json;

impl<T: Serialize> Encoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, serde_json::Error> {
        serde_json::to_string(value)
    }
}

impl<T: DeserializeOwned> Decoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(encoded: &str) -> Result<T, serde_json::Error> {
        from_json(encoded)
    }
}

/// A resource with the [`Json`] codec: `Resource::new` for the pages of this app.
#[track_caller]
pub fn resource<T, S, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Resource<T, Json>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    S: PartialEq + Clone + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}

/// Decodes a JSON text (a resource's serialized value, a live event's data) with the same
/// decoder as the server functions' responses (see [`Json`]).
///
/// # Errors
/// When `text` is not the JSON of a `T`.
pub fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, serde_json::Error> {
    serde_json::from_slice(text.as_bytes())
}

/// Headline national figures shown on the home page, read from the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NationalTotals {
    /// The data's as-of date (ISO), or `None` for an empty store.
    pub as_of: Option<String>,
    pub provinces: i64,
    pub regional_offices: i64,
    pub active_officers: i64,
    pub cases: i64,
    pub open_cases: i64,
    /// Money collected through valid receipts, in đồng.
    pub receipts_dong: i64,
}

/// One live alert of the operations center, streamed on `/api/live` as `event: alert` and kept
/// (the most recent ones) in every snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Stable, unique id (e.g. `overdue:QH03:123456`, `payment:987`, `complaint:55`); a client
    /// can de-duplicate by it.
    pub id: String,
    /// What happened.
    pub kind: AlertKind,
    /// The province concerned (2-digit code) — scope filtering uses it.
    pub ma_tinh: String,
    /// The province's Vietnamese name.
    pub ten_tinh: String,
    /// Short Vietnamese headline, ready to show.
    pub title: String,
    /// One Vietnamese line of detail (case number, office, rule, …).
    pub detail: String,
    /// Amount in đồng, for payments.
    pub amount: Option<i64>,
    /// When it was detected or happened (ISO 8601, e.g. `2026-11-20T09:15:00+07:00` or a date).
    pub at: String,
    /// The snapshot version that first carried it.
    pub version: u64,
    /// Server time it was raised, microseconds since the Unix epoch (the leadership's home
    /// lists the alerts raised since the user's previous visit).
    pub raised_at_us: i64,
}

/// `event: status` of `/api/live`: whether the server's figures follow the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedStatus {
    /// The server has not been able to read its change log for a while: the figures shown
    /// may be out of date.
    pub stale: bool,
    /// Since when it fails (ISO 8601, Vietnam time), while it does.
    pub since: Option<String>,
    /// The version (change-log position) the server's figures have applied.
    pub applied: u64,
}

/// The kinds of [`Alert`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A case newly flagged by an overdue rule (QH01–QH16).
    OverdueBreach,
    /// A valid receipt (biên lai) at or above the large-payment threshold.
    LargePayment,
    /// A new complaint (đơn thư loại khiếu nại) received.
    NewComplaint,
}
