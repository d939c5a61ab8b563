//! `image-tag-mutable`: Image has no tag or uses latest

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
    fn check(&self, obj: &Object, _ctx: &Context<'_>) -> Vec<Finding> {
        let Some(w) = obj.workload() else {
            return Vec::new();
        };
        w.containers()
            .chain(w.init_containers())
            .filter_map(|(ptr, c)| {
                let image = c.image.as_deref()?;
                image_is_mutable(image).then(|| {
                    let why = if image.ends_with(":latest") { "uses the tag latest" } else { "has no tag (so it means latest)" };

                    finding(
                        obj,
                        format!("image \"{image}\" of container \"{}\" {why}: a rollout or rollback cannot tell versions apart", c.name),
                    )
                    .at(&format!("{ptr}/image"), Target::Value)
                    .help("pin a version tag (app:1.4.2) or a digest (app@sha256:…)")
                })
            })
            .collect()
    }
}

/// Is an image reference mutable (no tag, or `latest`, and no digest)?
pub fn image_is_mutable(image: &str) -> bool {
    if image.contains('@') {
        return false;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.rsplit_once(':') {
        Some((_, tag)) => tag == "latest",
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::image_is_mutable;

    #[test]
    fn image_tags() {
        assert!(image_is_mutable("nginx"));
        assert!(image_is_mutable("nginx:latest"));
        assert!(image_is_mutable("registry:5000/team/app"));
        assert!(!image_is_mutable("registry:5000/team/app:1.2"));
        assert!(!image_is_mutable("nginx@sha256:abc"));
        assert!(!image_is_mutable("nginx:1.27"));
    }
}
