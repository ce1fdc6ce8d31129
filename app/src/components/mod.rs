//! Pieces shared by several pages.

pub mod cartogram;
pub mod date_input;
pub mod error_list;
pub mod kpi_card;
pub mod live;
pub mod site_header;
