//! ingress-nginx: a copy of the user's Ingress marked as canary with a
//! canary-weight annotation, its backends pointed at the canary Service
//! (ingress-nginx is retired upstream).

use super::{MANAGED, PlanError, R, Route, Router, Workspace, managed, map1};
use crate::edit::Yaml;
use crate::manifest::tree::{Node, Value, escape};

pub(super) struct Nginx;

impl Router for Nginx {
    fn describe(&self) -> &'static str {
        "an ingress-nginx canary Ingress"
    }

    fn retired(&self) -> Option<&'static str> {
        Some("ingress-nginx is retired upstream (no releases after March 2026); prefer --traffic gateway-api")
    }

    fn set_weight(&self, ws: &mut Workspace, r: &Route, weight: u32) -> R<()> {
        let (name, cname, user_svc) = (r.app.name(), &r.name, &r.user_svc);
        let ingress = ws
            .objects()
            .into_iter()
            .find(|f| f.obj.kind == "Ingress" && f.obj.name.as_deref() != Some(cname) && ingress_targets(&f.obj.root, user_svc));
        let Some(ing) = ingress else {
            return Err(PlanError::TrafficNeedsIngress { service: user_svc.clone() });
        };
        if let Some(f) = ws.find("Ingress", cname)? {
            if !managed(&f, r.app) {
                return Err(PlanError::NameTaken { kind: "Ingress".into(), name: cname.clone() });
            }
            return ws.set(
                "Ingress",
                cname,
                "/metadata/annotations/nginx.ingress.kubernetes.io~1canary-weight",
                Yaml::str(weight.to_string()),
            );
        }
        let mut e = crate::edit::Editor::new(cname, ws.doc_text(&ing)?);
        e.set(0, "/metadata/name", &Yaml::str(cname))?;
        e.set(0, "/metadata/annotations/nginx.ingress.kubernetes.io~1canary", &Yaml::str("true"))?;
        e.set(0, "/metadata/annotations/nginx.ingress.kubernetes.io~1canary-weight", &Yaml::str(weight.to_string()))?;
        e.set(0, &format!("/metadata/annotations/{}", escape(MANAGED)), &Yaml::str(name))?;
        for ptr in backend_pointers(&ing.obj.root, user_svc) {
            e.set(0, &ptr, &Yaml::str(cname))?;
        }
        ws.add_after("Ingress", ing.obj.name.as_deref().unwrap_or_default(), &e.text)
    }

    fn owned(&self, app: &str) -> Vec<(&'static str, String)> {
        vec![("Ingress", format!("{app}-canary"))]
    }

    fn rollout_routing(&self, _name: &str, svc: &str, ws: &Workspace) -> Option<Yaml> {
        let ingress = ws
            .objects()
            .into_iter()
            .find(|f| f.obj.kind == "Ingress" && f.obj.root.pointer("/spec").is_some_and(|s| ingress_targets(s, svc)))
            .and_then(|f| f.obj.name.clone())
            .unwrap_or_else(|| svc.to_string());
        Some(map1("nginx", map1("stableIngress", Yaml::str(ingress))))
    }
}

/// Pointers to `backend.service.name` fields that name `svc`.
fn backend_pointers(root: &Node, svc: &str) -> Vec<String> {
    fn walk(n: &Node, svc: &str, ptr: String, out: &mut Vec<String>) {
        if n.pointer("/service/name").and_then(|x| x.as_str()) == Some(svc) {
            out.push(format!("{ptr}/service/name"));
        }
        match &n.value {
            Value::Map(es) => {
                for e in es {
                    if let Some(k) = e.key_str() {
                        walk(&e.value, svc, format!("{ptr}/{}", escape(k)), out);
                    }
                }
            }
            Value::Seq(items) => {
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

fn ingress_targets(root: &Node, svc: &str) -> bool {
    fn walk(n: &Node, svc: &str) -> bool {
        if n.pointer("/service/name").and_then(|x| x.as_str()) == Some(svc) {
            return true;
        }
        match &n.value {
            Value::Map(es) => es.iter().any(|e| walk(&e.value, svc)),
            Value::Seq(items) => items.iter().any(|i| walk(i, svc)),
            _ => false,
        }
    }
    walk(root, svc)
}
