//! The one error type of the `queries` crate.

use chrono::NaiveDate;

/// A failure in the `queries` crate, in its own words.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A batch handed to the analytical store does not match the canonical schema.
    #[error("table {table}: {message}")]
    Schema {
        /// The SQL name of the table.
        table: &'static str,
        /// What does not match, naming the column.
        message: String,
    },
    /// The calendar table `lich` has no row for a date a KPI needs.
    #[error("lich has no row for {0}")]
    Calendar(NaiveDate),
    /// A date parameter is outside what the calendar arithmetic supports.
    #[error("date out of range: {0}")]
    DateRange(String),
    /// Polars failed while building or running a plan.
    #[cfg(feature = "analytics")]
    #[error(transparent)]
    Polars(#[from] polars::error::PolarsError),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
