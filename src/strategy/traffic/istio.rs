//! Istio: a DestinationRule with stable/canary subsets on the user's Service
//! and a VirtualService that weighs them.

use super::{R, Route, Router, Workspace, add, map1, meta, set_weights};
use crate::edit::Yaml;
use crate::strategy::Track;
use serde_json::json;

pub(super) struct Istio;

impl Router for Istio {
    fn describe(&self) -> &'static str {
        "an Istio VirtualService"
    }

    fn shares_user_service(&self) -> bool {
        true
    }

    fn set_weight(&self, ws: &mut Workspace, r: &Route, weight: u32) -> R<()> {
        let (stable_w, canary_w) = (i64::from(100 - weight), i64::from(weight));
        let (app, route, key) = (r.app, &r.name, r.app.key());
        let host = match app.namespace() {
            Some(n) => format!("{}.{n}.svc.cluster.local", r.user_svc),
            None => r.user_svc.clone(),
        };
        let dr = json!({
            "apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": meta(route, app),
            "spec": {"host": host, "subsets": [
                {"name": "stable", "labels": {key.to_string(): app.selector(Track::Stable)[key].clone()}},
                {"name": "canary", "labels": {key.to_string(): app.selector(Track::Canary)[key].clone()}},
            ]},
        });
        add(ws, app, "DestinationRule", route, dr)?;
        let vs = json!({
            "apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": meta(route, app),
            "spec": {"hosts": [host.clone()], "http": [{"route": [
                {"destination": {"host": host, "subset": "stable"}, "weight": stable_w},
                {"destination": {"host": host, "subset": "canary"}, "weight": canary_w},
            ]}]},
        });
        if !add(ws, app, "VirtualService", route, vs)? {
            set_weights(ws, "VirtualService", route, "/spec/http/0/route", stable_w, canary_w)?;
        }
        Ok(())
    }

    fn owned(&self, app: &str) -> Vec<(&'static str, String)> {
        vec![("VirtualService", format!("{app}-canary")), ("DestinationRule", format!("{app}-canary"))]
    }

    fn rollout_routing(&self, name: &str, _svc: &str, _ws: &Workspace) -> Option<Yaml> {
        Some(map1("istio", map1("virtualService", map1("name", Yaml::str(name)))))
    }

    fn rollout_route(&self, name: &str) -> Option<String> {
        Some(format!("VirtualService/{name}"))
    }
}
