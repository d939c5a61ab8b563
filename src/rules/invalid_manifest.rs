//! `invalid-manifest`: Built-in object has a field of the wrong type or misses a required field
//!
//! No check over objects: the loader (src/manifest) reports it while it reads documents.

declare_rule! {
    id: "invalid-manifest",
    severity: Error,
    fix: None,
    reads_other_objects: false,
    params: [],
    check: None,
}
