//! Pieces shared by several pages.

pub mod cartogram;
pub mod error_list;
pub mod kpi_card;
pub mod live;
pub mod user_menu;
