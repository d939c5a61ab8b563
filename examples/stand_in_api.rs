//! The test suite's stand-in Kubernetes API server, runnable: try the live
//! commands without a cluster.
//!
//! ```text
//! cargo run --example stand_in_api -- [--forbid VERB:RESOURCE]... [--kubeconfig FILE] [MANIFEST]...
//! ```
//!
//! Seeds the server with the given manifests (as if `kubectl apply` had
//! created them, namespace `default` unless they name one), writes a
//! kubeconfig (default `./stand-in.kubeconfig`) and serves until killed. It is
//! not a Kubernetes API server: see tests/fake_api/mod.rs for what it does.

#[path = "../tests/fake_api/mod.rs"]
mod fake_api;

fn main() {
    let api = fake_api::FakeApi::start();
    let mut kubeconfig = std::path::PathBuf::from("stand-in.kubeconfig");
    let mut args = std::env::args().skip(1);
    let mut seeded = 0;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--forbid" => {
                let spec = args.next().expect("--forbid VERB:RESOURCE");
                let (verb, resource) = spec.split_once(':').expect("--forbid VERB:RESOURCE");
                api.forbid(verb, resource);
            }
            "--kubeconfig" => kubeconfig = args.next().expect("--kubeconfig FILE").into(),
            path => {
                let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
                for doc in kubectl_strategy::manifest::parse::parse_stream(&text) {
                    let Ok(node) = doc.result else { continue };
                    let obj = kubectl_strategy::manifest::json::to_json(&node);
                    if obj["kind"].is_string() {
                        api.insert(obj);
                        seeded += 1;
                    }
                }
            }
        }
    }
    let config = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: stand-in\n  cluster:\n    server: {}\nusers:\n- name: stand-in\n  user: {{}}\ncontexts:\n- name: stand-in\n  context:\n    cluster: stand-in\n    user: stand-in\n    namespace: default\ncurrent-context: stand-in\n",
        api.url()
    );
    std::fs::write(&kubeconfig, config).expect("write the kubeconfig");
    eprintln!("stand-in API server at {} with {seeded} objects; kubeconfig written to {}", api.url(), kubeconfig.display());
    eprintln!("try: KUBECONFIG={} kubectl strategy diff DIR", kubeconfig.display());
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}
