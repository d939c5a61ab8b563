//! Kubernetes versions: the one default target (what charts are rendered for
//! and what removed API versions are judged at) and the syntax that
//! `--kube-version`, `kubernetesVersion:` and a chart's `kube-version:` accept.

/// The Kubernetes version a run targets by default: the newest this release
/// of the tool knows (the version the live tests run kube-apiserver at).
/// Charts are rendered for it (helm's own default is the version its client
/// library was built with, which differs from one helm to the next) and
/// `api-version-removed` judges at it.
pub const KUBE_VERSION: &str = "v1.36.2";

/// A Kubernetes version as `--kube-version` and the config take it:
/// `v?MAJOR.MINOR(.PATCH)?`, digits only (never anything helm could read as an option).
pub fn valid(s: &str) -> bool {
    let digits = s.strip_prefix('v').unwrap_or(s);
    let parts: Vec<&str> = digits.split('.').collect();
    (2..=3).contains(&parts.len()) && parts.iter().all(|p| !p.is_empty() && p.len() <= 9 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// The `(major, minor)` of a [valid](valid) version.
pub fn minor(s: &str) -> Option<(u32, u32)> {
    if !valid(s) {
        return None;
    }
    let mut parts = s.strip_prefix('v').unwrap_or(s).split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_digits_and_dots() {
        for good in ["v1.36", "1.36.2", "v1.36.2", "1.22"] {
            assert!(valid(good), "{good}");
        }
        for bad in ["", "v1", "1", "1.2.3.4", "v1.x", "--set=x", "1.36 ", ">=1.22", "1.36.2-0", "vv1.2", "1..2", "1.2.3+k3s"] {
            assert!(!valid(bad), "{bad}");
        }
    }

    #[test]
    fn minor_reads_major_and_minor() {
        assert_eq!(minor("v1.36.2"), Some((1, 36)));
        assert_eq!(minor("1.25"), Some((1, 25)));
        assert_eq!(minor(KUBE_VERSION), Some((1, 36)));
        assert_eq!(minor("1.x"), None);
        assert_eq!(minor("99999999999.1"), None);
    }
}
