//! `label-syntax-invalid`: Label key or value breaks Kubernetes label syntax

use super::{Context, Rule};
use crate::finding::Finding;
use crate::manifest::tree::{Node, Value, escape};
use crate::manifest::{Object, Target, WorkloadKind};

declare_rule! {
    id: "label-syntax-invalid",
    severity: Error,
    fix: None,
    reads_other_objects: false,
    params: [],
    check: Some(&LabelSyntaxInvalid),
}

pub struct LabelSyntaxInvalid;
impl Rule for LabelSyntaxInvalid {
    fn check(&self, obj: &Object, _ctx: &Context<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        for (ptr, map) in label_maps(obj) {
            for e in map.as_map().unwrap_or_default() {
                let Some(key) = e.key.scalar_text() else {
                    continue;
                };
                // The pointer is written only for a finding (most labels are fine).
                let at = || format!("{ptr}/{}", escape(&key));
                if let Some(why) = label_key_error(&key) {
                    out.push(finding(obj, format!("label key \"{key}\" is invalid: {why}")).at(&at(), Target::Key));
                }
                if let Value::Str(v) = &e.value.value
                    && let Some(why) = label_value_error(v)
                {
                    out.push(finding(obj, format!("value \"{v}\" of label \"{key}\" is invalid: {why}")).at(&at(), Target::Value));
                }
            }
        }
        out
    }
}

/// `^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`: a label name or value
/// (without the length limit), matched by hand (it runs on every label).
fn is_name(s: &str) -> bool {
    let b = s.as_bytes();
    let inner = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.');
    match b {
        [] => false,
        [only] => only.is_ascii_alphanumeric(),
        [first, middle @ .., last] => first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric() && middle.iter().all(inner),
    }
}

/// `^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`: a
/// lowercase DNS subdomain (without the length limit), matched by hand.
fn is_dns_subdomain(s: &str) -> bool {
    let edge = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    s.split('.').all(|label| match label.as_bytes() {
        [] => false,
        [only] => edge(only),
        [first, middle @ .., last] => edge(first) && edge(last) && middle.iter().all(|c| edge(c) || *c == b'-'),
    })
}

/// Why a label key is invalid, if it is.
pub fn label_key_error(key: &str) -> Option<String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix
        && (p.is_empty() || p.len() > 253 || !is_dns_subdomain(p))
    {
        return Some(format!("prefix \"{p}\" must be a lowercase DNS subdomain of at most 253 characters"));
    }
    if name.is_empty() || name.len() > 63 || !is_name(name) {
        return Some(format!(
            "name \"{name}\" must be 1-63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
        ));
    }
    None
}

/// Why a label value is invalid, if it is.
pub fn label_value_error(value: &str) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    if value.len() > 63 || !is_name(value) {
        return Some(
            "must be at most 63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit".into(),
        );
    }
    None
}

/// The label maps of an object (labels, template labels, selectors), with their pointers.
pub fn label_maps(obj: &Object) -> Vec<(String, &Node)> {
    let mut ptrs = vec!["/metadata/labels".to_string()];
    if let Some(w) = obj.workload() {
        if w.kind != WorkloadKind::Pod {
            ptrs.push(format!("{}/labels", w.meta_ptr()));
        }
        if let Some(s) = w.selector_ptr {
            ptrs.push(if w.kind == WorkloadKind::ReplicationController { s.to_string() } else { format!("{s}/matchLabels") });
        }
    }
    if obj.kind == "Service" {
        ptrs.push("/spec/selector".into());
    }
    ptrs.into_iter()
        .filter_map(|p| {
            let n = obj.root.pointer(&p)?;
            n.as_map().map(|_| (p, n))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written matchers accept exactly what the regular expressions of the Kubernetes validation accept.
    #[test]
    fn matchers_agree_with_the_kubernetes_patterns() {
        let name = regex::Regex::new(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$").unwrap();
        let dns = regex::Regex::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$").unwrap();
        // Every string of up to 4 characters over an alphabet with each class the patterns tell apart.
        let alphabet = ['a', 'Z', '7', '-', '_', '.', '/', ' ', 'é'];
        let mut strings = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..4 {
            last = last.iter().flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}"))).collect();
            strings.extend(last.iter().cloned());
        }
        for s in &strings {
            assert_eq!(is_name(s), name.is_match(s), "name {s:?}");
            assert_eq!(is_dns_subdomain(s), dns.is_match(s), "dns subdomain {s:?}");
        }
        assert!(strings.len() > 7000);
    }
}
