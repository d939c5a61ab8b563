//! Exact canary weights through a traffic provider: Gateway API, Istio,
//! ingress-nginx, Traefik or SMI. Stable and canary get their own Services;
//! the user's Service keeps selecting both.
//!
//! Each provider is one [`Router`] in a file of its own, after Argo Rollouts'
//! `TrafficRoutingReconciler`: the objects to emit or update for a weight,
//! the Services it needs, what promote/abort removes, its warnings, and the
//! `trafficRouting` an Argo Rollout declares for it.

mod gateway_api;
mod istio;
mod nginx;
mod smi;
mod traefik;

use super::Found;
use super::plan::Track;
use super::{PlanError, R, Workspace};
use crate::edit::Yaml;
use crate::edit::emit::{Style, to_yaml};
use serde_json::{Value as J, json};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Traffic {
    /// Split by replica counts (no extra objects)
    Replicas,
    /// Gateway API HTTPRoute with weighted backendRefs
    GatewayApi,
    /// Istio VirtualService + DestinationRule subsets
    Istio,
    /// ingress-nginx canary Ingress (retired upstream)
    Nginx,
    /// TraefikService with weighted services
    Traefik,
    /// SMI TrafficSplit (archived upstream)
    Smi,
}

/// What a provider works with: the canary's app and where its objects point.
pub struct Route<'a> {
    pub app: &'a dyn Backends,
    /// `--gateway NAME[/NAMESPACE]` (Gateway API only).
    pub gateway: Option<&'a str>,
    /// The user's Service that selects the stable pods.
    pub user_svc: String,
    /// The first port of the user's Service (80 when it names none).
    pub port: i64,
    /// The name of every generated routing object: `<name>-canary`, never
    /// the app's own name, so it cannot collide with the user's route.
    pub name: String,
}

/// What a provider needs to know of the canary it routes to (the canary
/// strategy's app is one): the routers depend on this, not on the strategy.
pub trait Backends {
    /// The app's name (its stable Deployment's).
    fn name(&self) -> &str;
    /// The stable Deployment's namespace.
    fn namespace(&self) -> Option<&str>;
    /// The selector key whose value tells stable and canary pods apart.
    fn key(&self) -> &str;
    /// What a track's own Service selects: exactly what its workload selects.
    fn selector(&self, track: Track) -> &BTreeMap<String, String>;
    /// The user's Services that select the app (the first is routed).
    fn services(&self) -> &[Found];
}

/// One traffic provider (Argo Rollouts' `TrafficRoutingReconciler` is the model).
pub trait Router: Sync {
    /// How the plan names the way traffic is split.
    fn describe(&self) -> &'static str;
    /// A warning shown with every plan, e.g. when the provider is retired upstream.
    fn retired(&self) -> Option<&'static str> {
        None
    }
    /// Whether the user's Service itself must select stable and canary pods
    /// (replica split, Istio subsets); the others route through Services of their own.
    fn shares_user_service(&self) -> bool {
        false
    }
    /// The track Services this provider routes to (created before [`Router::set_weight`]).
    fn services(&self, app: &str) -> Vec<String> {
        vec![Track::Stable.of(app), Track::Canary.of(app)]
    }
    /// Create or update this provider's objects for `weight` percent to the canary.
    fn set_weight(&self, ws: &mut Workspace, r: &Route, weight: u32) -> R<()>;
    /// The objects this provider creates, removed on promote and abort (besides the Services).
    fn owned(&self, app: &str) -> Vec<(&'static str, String)>;
    /// `spec.strategy.canary.trafficRouting` of an Argo Rollout that uses this provider.
    fn rollout_routing(&self, name: &str, svc: &str, ws: &Workspace) -> Option<Yaml>;
    /// The route object Argo Rollouts sets weights in, which must exist beforehand.
    fn rollout_route(&self, _name: &str) -> Option<String> {
        None
    }
}

/// Split by replica counts: no objects of its own.
struct Replicas;

impl Router for Replicas {
    fn describe(&self) -> &'static str {
        "replica counts"
    }
    fn shares_user_service(&self) -> bool {
        true
    }
    fn services(&self, _app: &str) -> Vec<String> {
        Vec::new()
    }
    fn set_weight(&self, _ws: &mut Workspace, _r: &Route, _weight: u32) -> R<()> {
        Ok(())
    }
    fn owned(&self, _app: &str) -> Vec<(&'static str, String)> {
        Vec::new()
    }
    fn rollout_routing(&self, _name: &str, _svc: &str, _ws: &Workspace) -> Option<Yaml> {
        None
    }
}

/// Every provider with objects of its own, in the order promote/abort removes them.
const PROVIDERS: [&dyn Router; 5] = [&gateway_api::GatewayApi, &istio::Istio, &traefik::Traefik, &smi::Smi, &nginx::Nginx];

impl Traffic {
    /// The value as given on the command line (`gateway-api`).
    pub fn flag(self) -> String {
        clap::ValueEnum::to_possible_value(&self).map(|v| v.get_name().to_string()).unwrap_or_default()
    }

    pub fn router(self) -> &'static dyn Router {
        match self {
            Traffic::Replicas => &Replicas,
            Traffic::GatewayApi => &gateway_api::GatewayApi,
            Traffic::Istio => &istio::Istio,
            Traffic::Nginx => &nginx::Nginx,
            Traffic::Traefik => &traefik::Traefik,
            Traffic::Smi => &smi::Smi,
        }
    }

    pub fn describe(self) -> &'static str {
        self.router().describe()
    }

    pub fn retired_warning(self) -> Option<String> {
        self.router().retired().map(str::to_string)
    }
}

/// `{key: value}`.
fn map1(key: &str, value: Yaml) -> Yaml {
    Yaml::Map(vec![(key.to_string(), value)])
}

fn first_port(app: &dyn Backends) -> (J, i64) {
    let svc = app.services().first();
    let ports = svc.and_then(|s| match &s.obj.typed {
        crate::manifest::Typed::Service(spec) => spec.ports.clone(),
        _ => None,
    });
    let ports: Vec<J> = ports
        .unwrap_or_default()
        .iter()
        .map(|p| {
            let mut o = json!({"port": p.port});
            if let Some(n) = &p.name {
                o["name"] = json!(n);
            }
            if let Some(t) = &p.target_port {
                o["targetPort"] = serde_json::to_value(t).unwrap_or(J::Null);
            }
            o
        })
        .collect();
    let port = ports.first().and_then(|p| p["port"].as_i64()).unwrap_or(80);
    (J::Array(ports), port)
}

/// Marks the objects a canary plan creates, so that promote/rollback remove
/// only those and never a hand-written object of the same name.
pub const MANAGED: &str = "kubectl-strategy.io/canary-of";

fn meta(name: &str, app: &dyn Backends) -> J {
    let mut m = json!({
        "name": name,
        "annotations": {MANAGED: app.name()},
    });
    if let Some(ns) = app.namespace() {
        m["namespace"] = json!(ns);
    }
    m
}

/// Where generated objects go: after the user's Service, else after the stable Deployment.
fn anchor(app: &dyn Backends) -> (&'static str, String) {
    match app.services().first().and_then(|s| s.obj.name.clone()) {
        Some(n) => ("Service", n),
        None => ("Deployment", app.name().to_string()),
    }
}

fn managed(f: &Found, app: &dyn Backends) -> bool {
    f.obj.meta.annotations.as_ref().and_then(|a| a.get(MANAGED)).is_some_and(|v| v == app.name())
}

/// Add a generated object unless it exists; an existing object of that name
/// that kubectl-strategy did not make is an error, never adopted.
fn add(ws: &mut Workspace, app: &dyn Backends, kind: &str, name: &str, doc: J) -> R<bool> {
    if let Some(f) = ws.find(kind, name)? {
        if !managed(&f, app) {
            return Err(PlanError::NameTaken { kind: kind.to_string(), name: name.to_string() });
        }
        return Ok(false);
    }
    let (ak, an) = anchor(app);
    ws.add_after(ak, &an, &to_yaml(&doc, &Style::PLAN))?;
    Ok(true)
}

/// Create or update the provider's objects for `weight` percent to the canary.
pub fn ensure(ws: &mut Workspace, mode: Traffic, app: &dyn Backends, gateway: Option<&str>, weight: u32) -> R<()> {
    let name = app.name();
    let (ports, port) = first_port(app);
    let Some(user_svc) = app.services().first().and_then(|s| s.obj.name.clone()) else {
        return Err(PlanError::TrafficNeedsService { traffic: mode.flag(), target: format!("deployment/{name}") });
    };
    let router = mode.router();
    // Each track's own Service selects exactly what its workload selects.
    for t in [Track::Stable, Track::Canary] {
        let selector = app.selector(t);
        if !router.services(name).contains(&t.of(name)) {
            continue;
        }
        let svc = json!({
            "apiVersion": "v1", "kind": "Service", "metadata": meta(&t.of(name), app),
            "spec": {"selector": selector, "ports": ports.clone()},
        });
        add(ws, app, "Service", &t.of(name), svc)?;
    }
    let route = Route { app, gateway, user_svc, port, name: Track::Canary.of(name) };
    router.set_weight(ws, &route, weight)
}

fn set_weights(ws: &mut Workspace, kind: &str, name: &str, list: &str, stable: i64, canary: i64) -> R<()> {
    ws.set(kind, name, &format!("{list}/0/weight"), Yaml::Int(stable))?;
    ws.set(kind, name, &format!("{list}/1/weight"), Yaml::Int(canary))
}

/// Remove every object the providers created for this canary.
pub fn remove(ws: &mut Workspace, app: &dyn Backends) -> R<()> {
    let name = app.name();
    let services = [Track::Stable, Track::Canary].map(|t| ("Service", t.of(name)));
    let owned = services.into_iter().chain(PROVIDERS.iter().flat_map(|p| p.owned(name)));
    for (kind, n) in owned {
        let managed =
            ws.find(kind, &n)?.is_some_and(|f| f.obj.meta.annotations.as_ref().and_then(|a| a.get(MANAGED)).is_some_and(|v| v == name));
        if managed {
            ws.remove_object(kind, &n)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn renders_block_yaml() {
        let v = serde_json::json!({"a": {"b": [{"c": 1, "d": "x y"}, {"c": 2}]}, "e": "true"});
        assert_eq!(super::to_yaml(&v, &super::Style::PLAN), "a:\n  b:\n    - c: 1\n      d: \"x y\"\n    - c: 2\ne: \"true\"\n");
    }
}
