//! `helm-render-failed`: Helm chart does not render
//!
//! No check over objects: rendering (src/lint/rendered.rs) reports it when the tool fails.

declare_rule! {
    id: "helm-render-failed",
    severity: Error,
    fix: None,
    reads_other_objects: false,
    params: [],
    check: None,
}
