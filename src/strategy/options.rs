//! The options of the strategies with tracks, apart from their planners:
//! what the Deployment planners and the Argo Rollout planner
//! ([`super::rollout`]) both read.

use super::ImageSpec;
use super::traffic::Traffic;

/// Two tracks; the Services select one of them.
#[derive(Clone, Debug)]
pub struct BlueGreen {
    pub service: Option<String>,
    pub images: Vec<ImageSpec>,
    /// The selector key whose value tells the tracks apart (default: the one that does the least harm).
    pub slot_label: Option<String>,
}

/// A canary workload beside the stable one.
#[derive(Clone, Debug)]
pub struct Canary {
    pub images: Vec<ImageSpec>,
    /// Weights in percent, one step each (`--weight W` is one step; `--steps 25,50,100`).
    pub weights: Vec<u32>,
    pub replicas: Option<i32>,
    pub traffic: Traffic,
    /// The selector key whose value tells canary pods apart (default: the one that does the least harm).
    pub track_label: Option<String>,
    pub gateway: Option<String>,
}

impl Canary {
    /// A canary with default options (what promote and rollback need).
    pub fn with_track_label(track_label: Option<String>) -> Canary {
        Canary { images: Vec::new(), weights: Vec::new(), replicas: None, traffic: Traffic::Replicas, track_label, gateway: None }
    }
}
