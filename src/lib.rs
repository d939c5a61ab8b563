//! kubectl-strategy: audit Kubernetes manifests for safe rollouts, with exact
//! file:line:column findings.
//!
//! The modules the binary, the tests and the benches use are public; the rest are private,
//! and `unreachable_pub` keeps their items `pub(crate)`, so the compiler finds dead code.

#![warn(unreachable_pub)]

mod baseline;
mod changed;
pub mod cli;
pub mod commands;
mod complete;
pub mod config;
pub mod docs;
pub mod edit;
pub mod finding;
pub mod fix;
pub mod input;
pub mod lint;
pub mod live;
mod man;
pub mod manifest;
pub mod render;
pub mod report;
pub mod rules;
pub mod strategy;
mod suppress;
mod text;
