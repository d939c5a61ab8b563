//! `image-tag-mutable`: Image has no tag or a floating one (latest, stable, alpine, 3.12)

use super::shared::is_helm_test;
use super::{Context, Rule};
use crate::finding::Finding;
use crate::manifest::{Object, Target};

declare_rule! {
    id: "image-tag-mutable",
    severity: Warning,
    fix: None,
    reads_other_objects: false,
    params: [],
    check: Some(&ImageTagMutable),
}

pub struct ImageTagMutable;
impl Rule for ImageTagMutable {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        // A Helm test runs by hand (`helm test`), outside any rollout.
        let Some(w) = obj.workload().filter(|_| !is_helm_test(obj)) else {
            return Vec::new();
        };
        w.containers()
            .chain(w.init_containers())
            .filter_map(|(ptr, c)| {
                let image = c.image.as_deref()?;
                // A placeholder that a build tool replaces when it deploys: ko's
                // `ko://import/path`, or an untagged name a Skaffold config builds.
                if image.starts_with("ko://") || ctx.built_by_the_repository(image) {
                    return None;
                }
                let why = match mutable_tag(image)? {
                    Tag::None => "has no tag (so it means latest)".to_string(),
                    Tag::Latest => "uses the tag latest".to_string(),
                    Tag::Floating(tag) => format!("uses the tag \"{tag}\", which is pushed again with each new build"),
                    Tag::Partial(tag) => format!(
                        "uses the tag \"{tag}\", a {} version that the official image moves to each {} release",
                        if tag.contains('.') { "major.minor" } else { "major" },
                        if tag.contains('.') { "patch" } else { "minor and patch" }
                    ),
                };
                Some(
                    finding(
                        obj,
                        format!("image \"{image}\" of container \"{}\" {why}: a rollout or rollback cannot tell versions apart", c.name),
                    )
                    .at(&format!("{ptr}/image"), Target::Value)
                    .help("pin a full version tag (app:1.4.2) or a digest (app@sha256:…)"),
                )
            })
            .collect()
    }
}

/// Why an image's tag does not name one build.
#[derive(Debug, PartialEq)]
pub enum Tag<'a> {
    /// No tag: `latest`.
    None,
    Latest,
    /// A name its publisher moves (`stable`, `lts-alpine`, `main`, `alpine`).
    Floating(&'a str),
    /// A major or major.minor version of an official Docker Hub image (`python:3.12`).
    Partial(&'a str),
}

/// Tag words that name a channel or a branch, not a release.
const FLOATING: &[&str] =
    &["latest", "stable", "lts", "edge", "main", "master", "develop", "development", "dev", "nightly", "mainline", "current", "rolling"];

/// Tag words that name a variant (a base image); alone they mean the latest release on it.
const VARIANTS: &[&str] =
    &["alpine", "slim", "bookworm", "bullseye", "buster", "trixie", "jammy", "noble", "focal", "perl", "otel", "unprivileged"];

/// Official images whose releases have two numbers (`postgres:17.2`).
const TWO_PART: &[&str] = &["postgres"];

/// Why an image reference may mean another build tomorrow (no tag, `latest`,
/// a floating name, or a partial version of an official image); `None` when
/// it is pinned (a digest, a full version, a version with a variant: `1.25-alpine`).
pub fn mutable_tag(image: &str) -> Option<Tag<'_>> {
    if image.contains('@') {
        return None;
    }
    let (path, last) = match image.rsplit_once('/') {
        Some((path, last)) => (Some(path), last),
        None => (None, image),
    };
    let Some((_, tag)) = last.rsplit_once(':') else {
        return Some(Tag::None);
    };
    if tag == "latest" {
        return Some(Tag::Latest);
    }
    let lower = tag.to_ascii_lowercase();
    let parts: Vec<&str> = lower.split('-').collect();
    let variant =
        |p: &str| VARIANTS.contains(&p) || p.strip_prefix("alpine").is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'));
    if parts.iter().any(|p| FLOATING.contains(p)) && parts.iter().all(|p| FLOATING.contains(p) || variant(p))
        || parts.iter().all(|p| variant(p))
    {
        return Some(Tag::Floating(tag));
    }
    let partial = {
        let mut numbers = tag.split('.');
        let count = tag.split('.').count();
        count <= 2 && numbers.all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    };
    // Official images (docker.io/library) publish `3` and `3.12` beside `3.12.7`;
    // elsewhere `1.0` is often a release of its own, and so is `17.2` of postgres.
    let official =
        matches!(path, None | Some("library" | "docker.io" | "docker.io/library" | "index.docker.io" | "index.docker.io/library"));
    let two_part = last.split(':').next().is_some_and(|name| TWO_PART.contains(&name));
    (partial && official && !(two_part && tag.contains('.'))).then_some(Tag::Partial(tag))
}

#[cfg(test)]
mod tests {
    use super::{Tag, mutable_tag};

    #[test]
    fn image_tags() {
        assert_eq!(mutable_tag("nginx"), Some(Tag::None));
        assert_eq!(mutable_tag("nginx:latest"), Some(Tag::Latest));
        assert_eq!(mutable_tag("registry:5000/team/app"), Some(Tag::None));
        assert_eq!(mutable_tag("registry:5000/team/app:1.2"), None);
        assert_eq!(mutable_tag("nginx@sha256:abc"), None);
        assert_eq!(mutable_tag("nginx:stable@sha256:abc"), None);
        assert_eq!(mutable_tag("nginx:1.27.2"), None);
        // Floating names, alone or with a variant, on any registry.
        for image in [
            "redis:alpine",
            "nginx:stable",
            "node:lts",
            "node:lts-alpine",
            "ghcr.io/team/app:main",
            "app:master",
            "app:develop",
            "app:nightly",
            "app:edge",
            "python:slim",
            "debian:bookworm-slim",
            "nginx:stable-alpine3.20",
            "nginx:mainline",
        ] {
            assert!(matches!(mutable_tag(image), Some(Tag::Floating(_))), "{image}");
        }
        // Partial versions of official images.
        for image in ["python:3", "python:3.12", "docker.io/library/python:3.12", "docker.io/postgres:16", "busybox:1.36"] {
            assert!(matches!(mutable_tag(image), Some(Tag::Partial(_))), "{image}");
        }
        // A full version with a variant, versions of other publishers, words that contain a floating one.
        for image in [
            "nginx:1.25-alpine",
            "python:3.12.7-slim",
            "gcr.io/google-samples/hello-app:1.0",
            "bitnami/redis:7.2",
            "app:v1",
            "app:maintenance-1.2.3",
            "app:1.2.3-main",
            "app:stable-1.4.2",
            "app:3.12.1",
            "postgres:17.2",
        ] {
            assert_eq!(mutable_tag(image), None, "{image}");
        }
    }
}
