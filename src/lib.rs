//! kubectl-strategy: audit Kubernetes manifests for safe rollouts, with exact
//! file:line:column findings.

pub mod baseline;
pub mod changed;
pub mod cli;
pub mod commands;
pub mod complete;
pub mod config;
pub mod docs;
pub mod edit;
pub mod finding;
pub mod fix;
pub mod input;
pub mod lint;
pub mod live;
pub mod man;
pub mod manifest;
pub mod render;
pub mod report;
pub mod rules;
pub mod strategy;
pub mod suppress;
pub mod text;
