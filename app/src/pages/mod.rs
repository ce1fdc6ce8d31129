//! One module per page.

pub mod area;
pub mod drill;
pub mod home;
pub mod not_found;
pub mod overdue;
pub mod wall;
