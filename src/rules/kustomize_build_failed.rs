//! `kustomize-build-failed`: Kustomization does not build
//!
//! No check over objects: rendering (src/lint/rendered.rs) reports it when the tool fails.

declare_rule! {
    id: "kustomize-build-failed",
    severity: Error,
    fix: None,
    reads_other_objects: false,
    params: [],
    check: None,
}
