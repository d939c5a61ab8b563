//! Gateway API: an HTTPRoute with weighted backendRefs to the track Services.

use super::{PlanError, R, Route, Router, Workspace, add, map1, meta, set_weights};
use crate::edit::Yaml;
use serde_json::json;

pub(super) struct GatewayApi;

const WEIGHTS: &str = "/spec/rules/0/backendRefs";

impl Router for GatewayApi {
    fn describe(&self) -> &'static str {
        "a Gateway API HTTPRoute"
    }

    fn set_weight(&self, ws: &mut Workspace, r: &Route, weight: u32) -> R<()> {
        let (stable_w, canary_w) = (i64::from(100 - weight), i64::from(weight));
        let (name, route) = (r.app.name(), &r.name);
        let Some(gw) = r.gateway else {
            if ws.find("HTTPRoute", route)?.is_none() {
                return Err(PlanError::TrafficNeedsGateway);
            }
            return set_weights(ws, "HTTPRoute", route, WEIGHTS, stable_w, canary_w);
        };
        let (gname, gns) = gw.split_once('/').map_or((gw, None), |(n, s)| (n, Some(s)));
        let mut parent = json!({"name": gname});
        if let Some(s) = gns {
            parent["namespace"] = json!(s);
        }
        let http_route = json!({
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": meta(route, r.app),
            "spec": {"parentRefs": [parent], "rules": [{"backendRefs": [
                {"name": format!("{name}-stable"), "port": r.port, "weight": stable_w},
                {"name": format!("{name}-canary"), "port": r.port, "weight": canary_w},
            ]}]},
        });
        if !add(ws, r.app, "HTTPRoute", route, http_route)? {
            set_weights(ws, "HTTPRoute", route, WEIGHTS, stable_w, canary_w)?;
        }
        Ok(())
    }

    fn owned(&self, app: &str) -> Vec<(&'static str, String)> {
        vec![("HTTPRoute", format!("{app}-canary"))]
    }

    fn rollout_routing(&self, name: &str, _svc: &str, _ws: &Workspace) -> Option<Yaml> {
        Some(map1("plugins", map1("argoproj-labs/gatewayAPI", map1("httpRoute", Yaml::str(name)))))
    }

    fn rollout_route(&self, name: &str) -> Option<String> {
        Some(format!("HTTPRoute/{name}"))
    }
}
