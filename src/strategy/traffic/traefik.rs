//! Traefik: a TraefikService with weighted services (the track Services).

use super::{R, Route, Router, Workspace, add, map1, meta, set_weights};
use crate::edit::Yaml;
use serde_json::json;

pub(super) struct Traefik;

impl Router for Traefik {
    fn describe(&self) -> &'static str {
        "a TraefikService"
    }

    fn set_weight(&self, ws: &mut Workspace, r: &Route, weight: u32) -> R<()> {
        let (stable_w, canary_w) = (i64::from(100 - weight), i64::from(weight));
        let (name, route) = (r.app.name(), &r.name);
        let ts = json!({
            "apiVersion": "traefik.io/v1alpha1", "kind": "TraefikService", "metadata": meta(route, r.app),
            "spec": {"weighted": {"services": [
                {"name": format!("{name}-stable"), "port": r.port, "weight": stable_w},
                {"name": format!("{name}-canary"), "port": r.port, "weight": canary_w},
            ]}},
        });
        if !add(ws, r.app, "TraefikService", route, ts)? {
            set_weights(ws, "TraefikService", route, "/spec/weighted/services", stable_w, canary_w)?;
        }
        Ok(())
    }

    fn owned(&self, app: &str) -> Vec<(&'static str, String)> {
        vec![("TraefikService", format!("{app}-canary"))]
    }

    fn rollout_routing(&self, name: &str, _svc: &str, _ws: &Workspace) -> Option<Yaml> {
        Some(map1("traefik", map1("weightedTraefikServiceName", Yaml::str(name))))
    }

    fn rollout_route(&self, name: &str) -> Option<String> {
        Some(format!("TraefikService/{name}"))
    }
}
