//! Pieces shared by several pages.

pub mod error_list;
pub mod kpi_card;
