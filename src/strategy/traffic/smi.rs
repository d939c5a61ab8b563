//! SMI: a TrafficSplit of the user's Service over the track Services
//! (the SMI spec is archived upstream).

use super::{R, Route, Router, Workspace, add, map1, meta, set_weights};
use crate::edit::Yaml;
use serde_json::json;

pub(super) struct Smi;

impl Router for Smi {
    fn describe(&self) -> &'static str {
        "an SMI TrafficSplit"
    }

    fn retired(&self) -> Option<&'static str> {
        Some("the SMI spec is archived (CNCF, 2023); prefer --traffic gateway-api")
    }

    fn set_weight(&self, ws: &mut Workspace, r: &Route, weight: u32) -> R<()> {
        let (stable_w, canary_w) = (i64::from(100 - weight), i64::from(weight));
        let (name, route) = (r.app.name(), &r.name);
        let split = json!({
            "apiVersion": "split.smi-spec.io/v1alpha4", "kind": "TrafficSplit", "metadata": meta(route, r.app),
            "spec": {"service": r.user_svc, "backends": [
                {"service": format!("{name}-stable"), "weight": stable_w},
                {"service": format!("{name}-canary"), "weight": canary_w},
            ]},
        });
        if !add(ws, r.app, "TrafficSplit", route, split)? {
            set_weights(ws, "TrafficSplit", route, "/spec/backends", stable_w, canary_w)?;
        }
        Ok(())
    }

    fn owned(&self, app: &str) -> Vec<(&'static str, String)> {
        vec![("TrafficSplit", format!("{app}-canary"))]
    }

    fn rollout_routing(&self, _name: &str, _svc: &str, _ws: &Workspace) -> Option<Yaml> {
        Some(map1("smi", Yaml::Map(Vec::new())))
    }
}
