//! `invalid-yaml`: Document is not valid YAML
//!
//! No check over objects: the loader (src/manifest) reports it while it reads documents.

declare_rule! {
    id: "invalid-yaml",
    severity: Error,
    fix: None,
    params: [],
    check: None,
}
