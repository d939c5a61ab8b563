//! Exact canary weights through a traffic provider: Gateway API, Istio,
//! ingress-nginx, Traefik or SMI. Stable and canary get their own Services;
//! the user's Service keeps selecting both.

use super::canary::App;
use super::plan::Track;
use super::{R, Workspace, err};
use crate::edit::{Yaml, scalar};
use serde_json::{Value as J, json};

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

impl Traffic {
    pub fn describe(self) -> &'static str {
        match self {
            Traffic::Replicas => "replica counts",
            Traffic::GatewayApi => "a Gateway API HTTPRoute",
            Traffic::Istio => "an Istio VirtualService",
            Traffic::Nginx => "an ingress-nginx canary Ingress",
            Traffic::Traefik => "a TraefikService",
            Traffic::Smi => "an SMI TrafficSplit",
        }
    }

    pub fn retired_warning(self) -> Option<String> {
        match self {
            Traffic::Nginx => Some("ingress-nginx is retired upstream (no releases after March 2026); prefer --traffic gateway-api".into()),
            Traffic::Smi => Some("the SMI spec is archived (CNCF, 2023); prefer --traffic gateway-api".into()),
            _ => None,
        }
    }
}

/// Render a JSON value as block YAML.
pub fn to_yaml(v: &J) -> String {
    let mut out = String::new();
    write(v, 0, &mut out);
    out
}

fn inline(v: &J) -> String {
    match v {
        J::String(s) => scalar(s),
        J::Null => "null".into(),
        J::Object(m) if m.is_empty() => "{}".into(),
        J::Array(a) if a.is_empty() => "[]".into(),
        other => other.to_string(),
    }
}

fn write(v: &J, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        J::Object(m) if !m.is_empty() => {
            for (k, v) in m {
                match v {
                    J::Object(c) if !c.is_empty() => {
                        out.push_str(&format!("{pad}{}:\n", scalar(k)));
                        write(v, indent + 2, out);
                    }
                    J::Array(a) if !a.is_empty() => {
                        out.push_str(&format!("{pad}{}:\n", scalar(k)));
                        write(v, indent + 2, out);
                    }
                    _ => out.push_str(&format!("{pad}{}: {}\n", scalar(k), inline(v))),
                }
            }
        }
        J::Array(a) if !a.is_empty() => {
            for item in a {
                let mut sub = String::new();
                write(item, indent + 2, &mut sub);
                let trimmed = sub.trim_start_matches(' ');
                out.push_str(&format!("{pad}- {trimmed}"));
            }
        }
        other => out.push_str(&format!("{pad}{}\n", inline(other))),
    }
}

fn first_port(app: &App) -> (J, i64) {
    let svc = app.services.first();
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

fn meta(name: &str, app: &App) -> J {
    let mut m = json!({
        "name": name,
        "annotations": {MANAGED: app.name.clone()},
    });
    if let Some(ns) = &app.stable.obj.namespace {
        m["namespace"] = json!(ns);
    }
    m
}

/// Where generated objects go: after the user's Service, else after the stable Deployment.
fn anchor(app: &App) -> (&'static str, String) {
    match app.services.first().and_then(|s| s.obj.name.clone()) {
        Some(n) => ("Service", n),
        None => ("Deployment", app.name.clone()),
    }
}

fn managed(f: &super::Found, app: &App) -> bool {
    f.obj.meta.annotations.as_ref().and_then(|a| a.get(MANAGED)).is_some_and(|v| *v == app.name)
}

/// Add a generated object unless it exists; an existing object of that name
/// that kubectl-strategy did not make is an error, never adopted.
fn add(ws: &mut Workspace, app: &App, kind: &str, name: &str, doc: J) -> R<bool> {
    if let Some(f) = ws.find(kind, name)? {
        if !managed(&f, app) {
            return err(format!(
                "{kind}/{name} exists and was not made by kubectl-strategy (no {MANAGED} annotation); rename or remove it"
            ));
        }
        return Ok(false);
    }
    let (ak, an) = anchor(app);
    ws.add_after(ak, &an, &to_yaml(&doc))?;
    Ok(true)
}

/// Create or update the provider's objects for `weight` percent to the canary.
pub fn ensure(ws: &mut Workspace, mode: Traffic, app: &App, gateway: Option<&str>, weight: u32) -> R<()> {
    let name = &app.name;
    let (ports, port) = first_port(app);
    let Some(user_svc) = app.services.first().and_then(|s| s.obj.name.clone()) else {
        return err(format!("--traffic {mode:?} needs a Service that selects deployment/{name}'s pods"));
    };
    // Each track's own Service selects exactly what its workload selects.
    for (t, selector) in [(Track::Stable, &app.stable_selector), (Track::Canary, &app.canary_selector)] {
        let svc = json!({
            "apiVersion": "v1", "kind": "Service", "metadata": meta(&t.of(name), app),
            "spec": {"selector": selector, "ports": ports.clone()},
        });
        add(ws, app, "Service", &t.of(name), svc)?;
    }
    let key = app.key.clone();
    let (stable_w, canary_w) = (i64::from(100 - weight), i64::from(weight));
    // Generated routing objects are named after the canary, never after the
    // app, so they cannot collide with the user's own route of that name.
    let route = format!("{name}-canary");
    let ns = app.stable.obj.namespace.clone();
    match mode {
        Traffic::Replicas => {}
        Traffic::GatewayApi => {
            let Some(gw) = gateway else {
                if ws.find("HTTPRoute", &route)?.is_none() {
                    return err("--traffic gateway-api needs --gateway NAME[/NAMESPACE] (the Gateway the HTTPRoute attaches to)");
                }
                return set_weights(ws, "HTTPRoute", &route, "/spec/rules/0/backendRefs", stable_w, canary_w);
            };
            let (gname, gns) = gw.split_once('/').map_or((gw, None), |(n, s)| (n, Some(s)));
            let mut parent = json!({"name": gname});
            if let Some(s) = gns {
                parent["namespace"] = json!(s);
            }
            let http_route = json!({
                "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": meta(&route, app),
                "spec": {"parentRefs": [parent], "rules": [{"backendRefs": [
                    {"name": format!("{name}-stable"), "port": port, "weight": stable_w},
                    {"name": format!("{name}-canary"), "port": port, "weight": canary_w},
                ]}]},
            });
            if !add(ws, app, "HTTPRoute", &route, http_route)? {
                set_weights(ws, "HTTPRoute", &route, "/spec/rules/0/backendRefs", stable_w, canary_w)?;
            }
        }
        Traffic::Istio => {
            let host = match &ns {
                Some(n) => format!("{user_svc}.{n}.svc.cluster.local"),
                None => user_svc.clone(),
            };
            let dr = json!({
                "apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": meta(&route, app),
                "spec": {"host": host, "subsets": [
                    {"name": "stable", "labels": {key.clone(): app.stable_selector[&key].clone()}},
                    {"name": "canary", "labels": {key.clone(): app.canary_selector[&key].clone()}},
                ]},
            });
            add(ws, app, "DestinationRule", &route, dr)?;
            let vs = json!({
                "apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": meta(&route, app),
                "spec": {"hosts": [host.clone()], "http": [{"route": [
                    {"destination": {"host": host, "subset": "stable"}, "weight": stable_w},
                    {"destination": {"host": host, "subset": "canary"}, "weight": canary_w},
                ]}]},
            });
            if !add(ws, app, "VirtualService", &route, vs)? {
                set_weights(ws, "VirtualService", &route, "/spec/http/0/route", stable_w, canary_w)?;
            }
        }
        Traffic::Nginx => {
            let ingress = ws.objects().into_iter().find(|f| {
                f.obj.kind == "Ingress" && f.obj.name.as_deref() != Some(&format!("{name}-canary")) && ingress_targets(&f.obj, &user_svc)
            });
            let Some(ing) = ingress else {
                return err(format!("--traffic nginx needs an Ingress that routes to Service/{user_svc}"));
            };
            let cname = format!("{name}-canary");
            if let Some(f) = ws.find("Ingress", &cname)? {
                if !managed(&f, app) {
                    return err(format!("Ingress/{cname} exists and was not made by kubectl-strategy; rename or remove it"));
                }
                return ws.set(
                    "Ingress",
                    &cname,
                    "/metadata/annotations/nginx.ingress.kubernetes.io~1canary-weight",
                    Yaml::str(weight.to_string()),
                );
            }
            let mut e = crate::edit::Editor::new(&cname, ws.doc_text(&ing)?);
            e.set(0, "/metadata/name", &Yaml::str(&cname))?;
            e.set(0, "/metadata/annotations/nginx.ingress.kubernetes.io~1canary", &Yaml::str("true"))?;
            e.set(0, "/metadata/annotations/nginx.ingress.kubernetes.io~1canary-weight", &Yaml::str(weight.to_string()))?;
            e.set(0, &format!("/metadata/annotations/{}", crate::manifest::tree::escape(MANAGED)), &Yaml::str(name))?;
            for ptr in backend_pointers(&ing.obj.root, &user_svc) {
                e.set(0, &ptr, &Yaml::str(&cname))?;
            }
            ws.add_after("Ingress", ing.obj.name.as_deref().unwrap_or_default(), &e.text)?;
        }
        Traffic::Traefik => {
            let ts = json!({
                "apiVersion": "traefik.io/v1alpha1", "kind": "TraefikService", "metadata": meta(&route, app),
                "spec": {"weighted": {"services": [
                    {"name": format!("{name}-stable"), "port": port, "weight": stable_w},
                    {"name": format!("{name}-canary"), "port": port, "weight": canary_w},
                ]}},
            });
            if !add(ws, app, "TraefikService", &route, ts)? {
                set_weights(ws, "TraefikService", &route, "/spec/weighted/services", stable_w, canary_w)?;
            }
        }
        Traffic::Smi => {
            let split = json!({
                "apiVersion": "split.smi-spec.io/v1alpha4", "kind": "TrafficSplit", "metadata": meta(&route, app),
                "spec": {"service": user_svc, "backends": [
                    {"service": format!("{name}-stable"), "weight": stable_w},
                    {"service": format!("{name}-canary"), "weight": canary_w},
                ]},
            });
            if !add(ws, app, "TrafficSplit", &route, split)? {
                set_weights(ws, "TrafficSplit", &route, "/spec/backends", stable_w, canary_w)?;
            }
        }
    }
    Ok(())
}

fn set_weights(ws: &mut Workspace, kind: &str, name: &str, list: &str, stable: i64, canary: i64) -> R<()> {
    ws.set(kind, name, &format!("{list}/0/weight"), Yaml::Int(stable))?;
    ws.set(kind, name, &format!("{list}/1/weight"), Yaml::Int(canary))
}

/// Pointers to `backend.service.name` fields that name `svc`.
fn backend_pointers(root: &crate::manifest::tree::Node, svc: &str) -> Vec<String> {
    fn walk(n: &crate::manifest::tree::Node, svc: &str, ptr: String, out: &mut Vec<String>) {
        if n.pointer("/service/name").and_then(|x| x.as_str()) == Some(svc) {
            out.push(format!("{ptr}/service/name"));
        }
        match &n.value {
            crate::manifest::tree::Value::Map(es) => {
                for e in es {
                    if let Some(k) = e.key_str() {
                        walk(&e.value, svc, format!("{ptr}/{}", crate::manifest::tree::escape(k)), out);
                    }
                }
            }
            crate::manifest::tree::Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, svc, format!("{ptr}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(root, svc, String::new(), &mut out);
    out
}

fn ingress_targets(obj: &crate::manifest::Object, svc: &str) -> bool {
    fn walk(n: &crate::manifest::tree::Node, svc: &str) -> bool {
        if n.pointer("/service/name").and_then(|x| x.as_str()) == Some(svc) {
            return true;
        }
        match &n.value {
            crate::manifest::tree::Value::Map(es) => es.iter().any(|e| walk(&e.value, svc)),
            crate::manifest::tree::Value::Seq(items) => items.iter().any(|i| walk(i, svc)),
            _ => false,
        }
    }
    walk(&obj.root, svc)
}

/// Remove every object the providers created for this canary.
pub fn remove(ws: &mut Workspace, app: &App) -> R<()> {
    let name = &app.name;
    let canary = format!("{name}-canary");
    let owned = [
        ("Service", format!("{name}-stable")),
        ("Service", canary.clone()),
        ("HTTPRoute", canary.clone()),
        ("VirtualService", canary.clone()),
        ("DestinationRule", canary.clone()),
        ("TraefikService", canary.clone()),
        ("TrafficSplit", canary.clone()),
        ("Ingress", canary),
    ];
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
        assert_eq!(super::to_yaml(&v), "a:\n  b:\n    - c: 1\n      d: \"x y\"\n    - c: 2\ne: \"true\"\n");
    }
}
