//! `invalid-yaml`: Document is not valid YAML
//!
//! No check over objects: the loader (src/manifest) reports it while it reads documents.

declare_rule! {
    id: "invalid-yaml",
    severity: Error,
    fix: None,
    reads_other_objects: false,
    params: [],
    check: None,
}
