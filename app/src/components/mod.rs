//! Pieces shared by several pages.

pub mod kpi_card;
