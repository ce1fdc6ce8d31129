//! Types that cross the wire between server functions and the browser.

use serde::{Deserialize, Serialize};

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
