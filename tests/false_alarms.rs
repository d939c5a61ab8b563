//! Regression tests for wrong answers found on real repositories: each one
//! runs a small manifest of testdata/regressions through the JSON output.

use crate::bin;
use serde_json::Value;

const DIR: &str = "testdata/regressions";

fn run(args: &[&str]) -> (i32, String, String) {
    let out = bin().args(args).output().unwrap();
    crate::outcome(&out)
}

/// `lint -f json` on files of testdata/regressions.
fn lint(files: &[&str]) -> Vec<Value> {
    let paths: Vec<String> = files.iter().map(|f| format!("{DIR}/{f}")).collect();
    let mut args = vec!["lint", "--isolated", "--format", "json", "--fail-on", "never"];
    args.extend(paths.iter().map(String::as_str));
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    v["findings"].as_array().unwrap().clone()
}

/// (rule, line, severity) of every finding.
fn brief(findings: &[Value]) -> Vec<(String, u64, String)> {
    findings
        .iter()
        .map(|f| (f["rule"].as_str().unwrap().to_string(), f["line"].as_u64().unwrap(), f["severity"].as_str().unwrap().to_string()))
        .collect()
}

fn rules(findings: &[Value]) -> Vec<&str> {
    findings.iter().map(|f| f["rule"].as_str().unwrap()).collect()
}

#[test]
fn a_wrong_field_does_not_hide_the_object() {
    let f = lint(&["bad-field.yaml"]);
    let r = rules(&f);
    assert!(r.contains(&"invalid-manifest"), "{r:?}");
    // The other rules still see the Deployment...
    assert!(r.contains(&"image-tag-mutable"), "{r:?}");
    assert!(r.contains(&"liveness-probe-missing"), "{r:?}");
    // ...and so does the Service in front of it (an error: the Service sends it traffic).
    assert!(!r.contains(&"service-selects-nothing"), "{r:?}");
    let readiness = f.iter().find(|x| x["rule"] == "readiness-probe-missing").expect("readiness finding");
    assert_eq!(readiness["severity"], "error");
    // Every wrong field is reported; a quoted number is read as a number for the other rules.
    let invalid: Vec<(Option<u64>, Option<&str>)> =
        f.iter().filter(|x| x["rule"] == "invalid-manifest").map(|x| (x["line"].as_u64(), x["path"].as_str())).collect();
    assert_eq!(
        invalid,
        vec![
            (Some(24), Some("/spec/template/spec/containers/0/env/0/value")),
            (Some(26), Some("/spec/template/spec/containers/0/ports/0/containerPort"))
        ]
    );
    assert!(r.contains(&"prestop-hook-missing"), "the container still serves port 9090: {r:?}");
}

#[test]
fn strategies_name_the_invalid_field_or_the_unparsable_document() {
    let (code, _, err) = run(&["apply", "recreate", "deploy/vouch", &format!("{DIR}/bad-field.yaml")]);
    assert_eq!(code, 2);
    assert!(err.contains("bad-field.yaml:24:22") && err.contains("env/0/value"), "{err}");
    assert!(!err.contains("pod template") && !err.contains("not found"), "{err}");
    let (code, _, err) = run(&["apply", "canary", "deploy/api", &format!("{DIR}/duplicate-key.yaml"), "--weight", "25"]);
    assert_eq!(code, 2);
    assert!(err.contains("duplicate-key.yaml:11:3") && err.contains("duplicate key `selector`"), "{err}");
}

/// (rule, line, severity) of one rule's findings.
fn of(findings: &[Value], rule: &str) -> Vec<(u64, String)> {
    brief(findings).into_iter().filter(|(r, _, _)| r == rule).map(|(_, l, s)| (l, s)).collect()
}

#[test]
fn services_may_select_labels_that_controllers_add() {
    let f = lint(&["controller-labels.yaml"]);
    // Only the Service naming a pod of another StatefulSet selects nothing.
    assert_eq!(of(&f, "service-selects-nothing"), vec![(58, "warning".into())]);
}

#[test]
fn services_of_custom_resources_are_a_note_not_a_warning() {
    let f = lint(&["cr-pods.yaml"]);
    assert_eq!(of(&f, "service-selects-nothing"), vec![(16, "info".into())]);
    let m = f.iter().find(|x| x["rule"] == "service-selects-nothing").unwrap()["message"].as_str().unwrap().to_string();
    assert!(m.contains("Cluster/pg"), "{m}");
}

#[test]
fn numeric_probe_ports_are_not_errors() {
    let f = lint(&["probe-ports.yaml"]);
    assert_eq!(of(&f, "probe-port-undeclared"), vec![(15, "info".into()), (20, "warning".into()), (25, "error".into())]);
    let sibling = f.iter().find(|x| x["rule"] == "probe-port-undeclared" && x["line"] == 20).unwrap();
    assert!(sibling["message"].as_str().unwrap().contains("container \"proxy\" declares"));
}

#[test]
fn overlaps_only_within_a_unit_once_per_pair_naming_the_other() {
    let f = lint(&["overlap/a/api.yaml", "overlap/b/workers.yaml", "overlap/c/api.yaml"]);
    assert_eq!(placed(&f, "workload-selectors-overlap"), vec![("overlap/b/workers.yaml".to_string(), 23)]);
    let m = f.iter().find(|x| x["rule"] == "workload-selectors-overlap").unwrap()["message"].as_str().unwrap().to_string();
    assert!(m.contains("Deployment/worker (testdata/regressions/overlap/b/workers.yaml:1)"), "{m}");
    // Without the copy in c/, nothing says a/ and b/ are alternatives: they are one unit.
    let f = lint(&["overlap/a/api.yaml", "overlap/b/workers.yaml"]);
    assert_eq!(
        placed(&f, "workload-selectors-overlap"),
        vec![
            ("overlap/b/workers.yaml".to_string(), 6),
            ("overlap/b/workers.yaml".to_string(), 23),
            ("overlap/b/workers.yaml".to_string(), 23)
        ]
    );
}

#[test]
fn rolling_update_null_is_unset() {
    assert!(of(&lint(&["recreate-null.yaml"]), "recreate-with-rolling-params").is_empty());
}

#[test]
fn a_monitor_covers_only_the_pods_it_keeps() {
    let f = lint(&["monitor-keep.yaml"]);
    // `api` has no istio-proxy container: the PodMonitor drops its targets.
    assert_eq!(of(&f, "prometheus-annotations-missing"), vec![(30, "warning".into())]);
}

#[test]
fn probes_that_differ_only_in_timing_are_identical() {
    let f = lint(&["probes-timing.yaml"]);
    assert_eq!(of(&f, "probes-identical"), vec![(11, "warning".into())]);
}

#[test]
fn an_hpa_sets_the_replica_floor() {
    let f = lint(&["hpa-floor.yaml"]);
    assert_eq!(of(&f, "rolling-update-downtime"), vec![(44, "warning".into())]);
    assert_eq!(of(&f, "hpa-replicas-pinned").len(), 2);
}

#[test]
fn an_hpa_of_another_variant_scales_another_application() {
    let f = lint(&["hpa-elsewhere/a/web.yaml", "hpa-elsewhere/b/hpa.yaml", "hpa-elsewhere/b/web.yaml"]);
    assert!(of(&f, "hpa-replicas-pinned").is_empty());
    assert_eq!(of(&f, "topology-spread-missing").len(), 1, "3 replicas, not the other HPA's minReplicas 1");
}

#[test]
fn objects_of_another_namespace_are_never_joined() {
    let f = lint(&["namespaces.yaml"]);
    // No Service of `shop` sends the Deployment traffic: a missing readiness probe is a warning,
    // not the error it is behind a Service.
    assert_eq!(of(&f, "readiness-probe-missing"), vec![(19, "warning".into())]);
    let m = f.iter().find(|x| x["rule"] == "readiness-probe-missing").unwrap()["message"].as_str().unwrap().to_string();
    assert!(!m.contains("Service/web"), "{m}");
    // The Service of `blog` selects nothing in its own namespace.
    assert_eq!(of(&f, "service-selects-nothing"), vec![(30, "warning".into())]);
    // The HPA of `blog` (1 to 1 replicas) neither pins nor sets the replicas of `shop`'s 3.
    assert!(of(&f, "hpa-replicas-pinned").is_empty(), "{f:?}");
    assert_eq!(of(&f, "topology-spread-missing"), vec![(17, "info".into())]);
}

/// (file name, line, severity, message) of one rule's findings.
fn detailed(findings: &[Value], rule: &str) -> Vec<(String, u64, String, String)> {
    findings
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| {
            let file = f["file"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
            (file, f["line"].as_u64().unwrap(), f["severity"].as_str().unwrap().to_string(), f["message"].as_str().unwrap().to_string())
        })
        .collect()
}

/// (rule, file relative to testdata/regressions, line) of every finding of `rule`.
fn placed(findings: &[Value], rule: &str) -> Vec<(String, u64)> {
    findings
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| (f["file"].as_str().unwrap().trim_start_matches(&format!("{DIR}/")).to_string(), f["line"].as_u64().unwrap()))
        .collect()
}

#[test]
fn a_missing_readiness_probe_is_an_error_only_where_a_service_port_targets_the_container() {
    let f = lint(&["readiness-traffic"]);
    let got: Vec<(String, u64, String)> = detailed(&f, "readiness-probe-missing").into_iter().map(|(f, l, s, _)| (f, l, s)).collect();
    let want = [
        // The sidecar that comes first gets no traffic: the Service's 3000 is grafana's.
        ("grafana.yaml", 17, "info"),
        ("grafana.yaml", 22, "error"),
        // Services that reach only metrics ports.
        ("metrics.yaml", 17, "info"),
        ("metrics.yaml", 22, "info"),
        ("metrics.yaml", 60, "info"),
        // ...but the port `prometheus.io/port` names serves requests when its name says so.
        ("metrics.yaml", 97, "error"),
        // `port` without `targetPort`; a number that no container declares reaches the first one.
        ("ports.yaml", 17, "error"),
        ("ports.yaml", 49, "error"),
        ("ports.yaml", 51, "info"),
        ("sidecar.yaml", 17, "error"),
        ("sidecar.yaml", 22, "info"),
    ];
    assert_eq!(got, want.map(|(f, l, s)| (f.to_string(), l, s.to_string())));
    // The message cites the Service and the port that sends the traffic.
    let m = &detailed(&f, "readiness-probe-missing")[9].3;
    assert!(
        m.contains(
            "Service/api (testdata/regressions/readiness-traffic/sidecar.yaml:26) sends it traffic on port 80 (\"web\", targetPort http)"
        ),
        "{m}"
    );
    let m = &detailed(&f, "readiness-probe-missing")[3].3;
    assert!(m.contains("only on metrics port 9121"), "{m}");
}

#[test]
fn the_apex_of_a_traffic_split_selects_nothing_on_purpose() {
    let f = lint(&["traffic-split/split.yaml"]);
    // Not the apex `web` (line 21); the backend without pods and the Service of
    // another namespace than the split naming `api` still select nothing.
    assert_eq!(of(&f, "service-selects-nothing"), vec![(50, "warning".into()), (85, "warning".into())]);
}

#[test]
fn prometheus_scrape_on_the_service_counts_and_misspelt_keys_are_misspellings() {
    let f = lint(&["prometheus-scrape"]);
    let got = detailed(&f, "prometheus-annotations-missing");
    // service.yaml: the Service in front carries prometheus.io/scrape.
    assert!(got.iter().all(|(file, ..)| file == "typos.yaml"), "{got:?}");
    let brief: Vec<(u64, &str)> = got.iter().map(|(_, l, s, _)| (*l, s.as_str())).collect();
    assert_eq!(brief, vec![(16, "warning"), (40, "info"), (65, "warning"), (88, "warning")]);
    // Each names the key found and the key meant; none says "missing" for a misspelt key on the pods.
    assert!(got[0].3.contains("\"prometheus.io/scrapes\"") && got[0].3.contains("misspelling of \"prometheus.io/scrape\""), "{}", got[0].3);
    assert!(got[1].3.contains("\"prometheus_io/scrape\"") && got[1].3.contains("Prometheus reads it"), "{}", got[1].3);
    assert!(got[2].3.contains("\"prometheus.io/prot\"") && got[2].3.contains("\"prometheus.io/port\""), "{}", got[2].3);
    assert!(
        got[3].3.contains("Service/front (testdata/regressions/prometheus-scrape/typos.yaml:98) has \"prometheus.io/scarpe\""),
        "{}",
        got[3].3
    );
}

#[test]
fn one_replica_risks_what_its_strategy_says() {
    let f = lint(&["single-replica/strategies.yaml"]);
    let got = detailed(&f, "single-replica");
    assert_eq!(got.iter().map(|(_, l, _, _)| *l).collect::<Vec<_>>(), vec![7, 36, 67]);
    // The default surge: a rollout is not said to take the service down.
    assert!(!got[0].3.contains("each rollout"), "{}", got[0].3);
    assert!(got[0].3.contains("node drain") && got[0].3.contains("maxSurge 25% (the default) starts it"), "{}", got[0].3);
    assert!(got[1].3.contains("each rollout (Recreate stops the old pod first)"), "{}", got[1].3);
    assert!(got[2].3.contains("each rollout (a StatefulSet deletes the old pod"), "{}", got[2].3);
}

#[test]
fn floating_tags_are_mutable() {
    let f = lint(&["floating-tags/pods.yaml"]);
    let got = detailed(&f, "image-tag-mutable");
    // main, alpine, stable, lts-alpine, 3.12; not 1.25-alpine, hello-app:1.0 or a digest.
    assert_eq!(got.iter().map(|(_, l, _, _)| *l).collect::<Vec<_>>(), vec![17, 20, 22, 24, 26]);
    assert!(got[1].3.contains("uses the tag \"alpine\", which is pushed again"), "{}", got[1].3);
    assert!(got[4].3.contains("uses the tag \"3.12\", a major.minor version"), "{}", got[4].3);
}

#[test]
fn a_statefulset_needs_a_headless_governing_service() {
    let f = lint(&["statefulset-headless/statefulsets.yaml"]);
    assert_eq!(of(&f, "statefulset-service-not-headless"), vec![(7, "warning".into())]);
    let m = &detailed(&f, "statefulset-service-not-headless")[0].3;
    assert!(m.contains("Service/db (testdata/regressions/statefulset-headless/statefulsets.yaml:21)"), "{m}");
    // Of two Services of that name in one folder, the one of the StatefulSet's own file.
    let f = lint(&["statefulset-headless/examples"]);
    let got = detailed(&f, "statefulset-service-not-headless");
    assert_eq!(got.iter().map(|(file, l, _, _)| (file.as_str(), *l)).collect::<Vec<_>>(), vec![("a.yaml", 7)]);
    assert!(got[0].3.contains("examples/a.yaml:21"), "{}", got[0].3);
}

#[test]
fn an_application_split_by_kind_into_folders_is_one_unit() {
    let f = lint(&["scope/split"]);
    // The autoscaler in policy/ keeps 5 replicas and the budget there selects the pods.
    assert!(of(&f, "single-replica").is_empty(), "{f:?}");
    assert!(of(&f, "pdb-missing").is_empty(), "{f:?}");
    // The Service in policy/ sends the container traffic: a missing readiness probe is an error.
    assert_eq!(of(&f, "readiness-probe-missing"), vec![(21, "error".into())]);
    assert!(of(&f, "service-selects-nothing").is_empty());
}

#[test]
fn variants_of_one_application_are_never_joined() {
    let f = lint(&["scope/variants"]);
    // v2's Deployment is behind no Service of its own (v1's Service/web is another variant's).
    let readiness: Vec<(String, u64, String)> = f
        .iter()
        .filter(|x| x["rule"] == "readiness-probe-missing")
        .map(|x| (x["file"].as_str().unwrap().to_string(), x["line"].as_u64().unwrap(), x["severity"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        readiness,
        vec![
            (format!("{DIR}/scope/variants/v1/app.yaml"), 19, "error".to_string()),
            (format!("{DIR}/scope/variants/v2/app.yaml"), 16, "warning".to_string())
        ]
    );
    // v1's autoscaler keeps 3 replicas of v1; v2's one replica is behind no Service (v1's Service/web
    // is not v2's), so neither is a single replica behind a Service.
    assert!(placed(&f, "single-replica").is_empty(), "{f:?}");
    assert_eq!(placed(&f, "pdb-missing"), vec![("scope/variants/v1/app.yaml".to_string(), 8)]);
    assert!(of(&f, "workload-selectors-overlap").is_empty());
    // v2's own Service selects nothing of v2 (v1's pods are another variant's).
    assert_eq!(placed(&f, "service-selects-nothing"), vec![("scope/variants/v2/app.yaml".to_string(), 27)]);
}

#[test]
fn a_file_that_names_no_object_is_not_judged_as_yaml() {
    let (code, out, err) = run(&["lint", "--isolated", "--format", "json", "--fail-on", "never", &format!("{DIR}/not-a-manifest")]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let f = v["findings"].as_array().unwrap();
    // The tsconfig.json with comments is skipped with a notice; the broken ConfigMap is an error.
    assert_eq!(placed(f, "invalid-yaml"), vec![("not-a-manifest/broken.yaml".to_string(), 8)]);
    assert_eq!(f.len(), 1, "{f:?}");
    let notices = v["notices"].to_string();
    assert!(notices.contains("tsconfig.json") && notices.contains("names no apiVersion and kind"), "{notices}");
}

#[test]
fn files_beside_variant_folders_are_deployed_with_each_variant() {
    let f = lint(&["scope/base-and-variants"]);
    // Each variant's Service selects the shared Deployment.
    assert!(of(&f, "service-selects-nothing").is_empty(), "{f:?}");
    assert_eq!(placed(&f, "readiness-probe-missing"), vec![("scope/base-and-variants/deployment.yaml".to_string(), 19)]);
    assert_eq!(of(&f, "readiness-probe-missing"), vec![(19, "error".into())]);
}

#[test]
fn services_of_kube_system_select_the_clusters_own_pods() {
    let f = lint(&["kube-system-services.yaml"]);
    // Only the monitoring namespace's Service, whose selector matches nothing, is reported.
    assert_eq!(of(&f, "service-selects-nothing"), vec![(22, "warning".into())]);
}

/// Found on bank-of-anthos (extras/asm-multicluster): an add-on folder's Service for pods of a
/// sibling folder is a note naming those pods, not "matches no pod template".
#[test]
fn an_add_on_service_for_a_sibling_folders_pods_is_a_note() {
    let f = lint(&["scope/addon"]);
    assert_eq!(placed(&f, "service-selects-nothing"), vec![("scope/addon/addon/svc.yaml".to_string(), 6)]);
    let s = f.iter().find(|x| x["rule"] == "service-selects-nothing").unwrap();
    assert_eq!(s["severity"], "info");
    assert!(s["message"].as_str().unwrap().contains("Deployment/frontend (testdata/regressions/scope/addon/base/frontend.yaml:3)"), "{s}");
}

/// Found on bank-of-anthos: untagged names that a Skaffold config builds (and tags when it
/// deploys) and ko:// references are placeholders, not images without a tag.
#[test]
fn images_a_build_tool_tags_are_not_untagged() {
    let f = lint(&["skaffold"]);
    assert_eq!(placed(&f, "image-tag-mutable"), vec![("skaffold/k8s/ledger.yaml".to_string(), 21)]);
}

/// Found on sourcegraph/deploy-sourcegraph-k8s (exporter sidecars) and fluxcd/flagger (an
/// operator with only a metrics port): the preStop sleep is a warning where a Service sends the
/// container requests, a note where no Service deployed with it selects it, and nothing for a
/// container that Services reach only on a metrics port.
#[test]
fn prestop_follows_the_traffic_a_service_sends() {
    let f = lint(&["prestop-traffic.yaml"]);
    let p: Vec<(String, u64, String)> = brief(&f).into_iter().filter(|(r, _, _)| r == "prestop-hook-missing").collect();
    assert_eq!(p, vec![("prestop-hook-missing".into(), 22, "warning".into()), ("prestop-hook-missing".into(), 62, "info".into())], "{f:?}");
    let api = f.iter().find(|x| x["rule"] == "prestop-hook-missing" && x["line"] == 22).unwrap();
    assert!(
        api["message"].as_str().unwrap().contains("Service/api (testdata/regressions/prestop-traffic.yaml:33) sends it traffic on port 80"),
        "{api}"
    );
    // A metrics exporter beside the app: its missing liveness probe is a note.
    let liveness: Vec<(u64, String)> =
        brief(&f).into_iter().filter(|(r, _, _)| r == "liveness-probe-missing").map(|(_, l, s)| (l, s)).collect();
    assert_eq!(liveness, vec![(22, "warning".into()), (27, "info".into()), (62, "warning".into())], "{f:?}");
}

/// Found on argocd-example-apps (sock-shop names its pods with `name`), bank-of-anthos and
/// aks-store-demo (Deployments without labels of their own over labelled pods) and on Jobs and
/// hooks: by default the label asked for is on the pod template of what runs on, and a key that
/// 90 % of the pod templates deployed together carry with values of their own is their convention.
#[test]
fn labels_follow_the_convention_of_the_files_deployed_together() {
    let f = lint(&["label-convention"]);
    let l: Vec<&Value> = f.iter().filter(|x| x["rule"] == "required-labels-missing").collect();
    assert_eq!(l.len(), 1, "{l:?}");
    assert_eq!(l[0]["file"], "testdata/regressions/label-convention/shipping.yaml");
    assert_eq!(l[0]["line"], 12);
    let m = l[0]["message"].as_str().unwrap();
    assert!(m.contains("lacks the label name that 9 of the 10 long-running pod templates deployed with it carry"), "{m}");
    assert!(m.ends_with("add name: shipping to spec.template.metadata.labels"), "{m}");
}

/// Found on sourcegraph/deploy-sourcegraph-k8s (a project scrape key on the Service), harbor-helm
/// and metrics-server (pods with no sign of a metrics endpoint): a project's own
/// `…prometheus…/scrape` key counts; a pod that shows no sign of serving metrics is a note.
#[test]
fn prometheus_annotations_follow_the_evidence_of_metrics() {
    let f = lint(&["prometheus-evidence.yaml"]);
    let p: Vec<(u64, String)> = f
        .iter()
        .filter(|x| x["rule"] == "prometheus-annotations-missing")
        .map(|x| (x["line"].as_u64().unwrap(), x["severity"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(p, vec![(56, "info".into()), (76, "warning".into())], "{f:?}");
    let web = f.iter().find(|x| x["rule"] == "prometheus-annotations-missing" && x["line"] == 56).unwrap();
    assert!(web["message"].as_str().unwrap().contains("nothing shows it serves metrics"), "{web}");
}

/// Found on harbor-helm and sourcegraph: one replica of a StatefulSet with a volume per pod is a
/// note (more replicas need the store's own replication); a stateless Deployment stays a warning.
#[test]
fn one_replica_of_a_store_is_a_note() {
    let f = lint(&["single-store.yaml"]);
    let s: Vec<(String, String)> = f
        .iter()
        .filter(|x| x["rule"] == "single-replica")
        .map(|x| (x["object"]["name"].as_str().unwrap().to_string(), x["severity"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(s, vec![("redis".into(), "info".into()), ("web".into(), "warning".into()), ("blobstore".into(), "info".into())], "{f:?}");
}

/// Found on fluxcd/flagger: a Helm test pod (`helm.sh/hook: test…`) is run by hand, outside any
/// rollout: neither its tag nor its requests are findings.
#[test]
fn a_helm_test_pod_is_not_part_of_a_rollout() {
    let f = lint(&["helm-test-pod.yaml"]);
    assert!(of(&f, "image-tag-mutable").is_empty() && of(&f, "resources-missing").is_empty(), "{f:?}");
}
