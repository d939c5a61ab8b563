//! `unused-suppression`: Suppression that suppresses nothing
//!
//! No check over objects: the suppression pass (src/suppress.rs) reports it after every rule has run.

declare_rule! {
    id: "unused-suppression",
    severity: Info,
    fix: None,
    reads_other_objects: false,
    params: [],
    check: None,
}
