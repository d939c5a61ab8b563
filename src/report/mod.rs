//! Output formats.

pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;
