//! One module per page.

pub mod area;
pub mod ask;
pub mod audit;
pub mod drill;
pub mod home;
pub mod login;
pub mod not_found;
pub mod overdue;
pub mod password;
pub mod tasks;
pub mod wall;
