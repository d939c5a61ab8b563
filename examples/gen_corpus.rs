//! Write a deterministic corpus of realistic manifests for benchmarks.
//!
//! cargo run --release --example gen_corpus -- OUT_DIR [OBJECTS] [OBJECTS_PER_FILE]
//!
//! Kinds: Deployments, Services, ConfigMaps, StatefulSets, Ingresses,
//! ServiceMonitors and Argo Rollouts, with comments, in N/5 files.

use std::fmt::Write as _;

fn deployment(i: usize, s: &mut String) {
    let _ = write!(
        s,
        r#"# Deployment {i}: the web tier of service {i}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-{i}
  namespace: team-{ns}
  labels:
    app.kubernetes.io/name: web-{i}
    app.kubernetes.io/part-of: shop
spec:
  replicas: {r}
  selector:
    matchLabels:
      app.kubernetes.io/name: web-{i}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  template:
    metadata:
      labels:
        app.kubernetes.io/name: web-{i}
        app.kubernetes.io/part-of: shop
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: "8080"
    spec:
      terminationGracePeriodSeconds: 40
      containers:
        - name: web
          image: registry.example.com/shop/web:{v}.{i}
          args: ["--port=8080", "--log-level=info"]
          ports:
            - name: http
              containerPort: 8080
          env:
            - name: UPSTREAM
              value: "http://api-{i}.team-{ns}.svc:8080"
            - name: CACHE_SIZE
              value: "512"
          livenessProbe:
            httpGet: {{path: /healthz, port: http}}
            failureThreshold: 6
          readinessProbe:
            httpGet: {{path: /ready, port: http}}
          lifecycle:
            preStop:
              sleep:
                seconds: 10
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{memory: 256Mi}}
"#,
        ns = i % 17,
        r = 1 + i % 5,
        v = i % 3
    );
}

fn service(i: usize, s: &mut String) {
    // selects one of the four Deployments of its group of ten
    let d = i - i % 10 + i % 4;
    let _ = write!(
        s,
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web-{i}\n  namespace: team-{ns}\nspec:\n  selector:\n    app.kubernetes.io/name: web-{d}\n  ports:\n    - name: http\n      port: 80\n      targetPort: http\n",
        ns = d % 17
    );
}

fn configmap(i: usize, s: &mut String) {
    let _ = write!(
        s,
        "# settings of service {i}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-{i}-config\n  namespace: team-{}\ndata:\n  LOG_LEVEL: info\n  FEATURE_FLAGS: \"a,b,c\"\n  nginx.conf: |\n    server {{\n      listen 8080;\n      location / {{ proxy_pass http://127.0.0.1:9000; }}\n    }}\n",
        i % 17
    );
}

fn statefulset(i: usize, s: &mut String) {
    let _ = write!(
        s,
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db-{i}\n  namespace: team-{ns}\n  labels: {{app.kubernetes.io/name: db-{i}}}\nspec:\n  serviceName: db-{i}\n  replicas: 3\n  selector:\n    matchLabels: {{app.kubernetes.io/name: db-{i}}}\n  template:\n    metadata:\n      labels: {{app.kubernetes.io/name: db-{i}}}\n      annotations: {{prometheus.io/scrape: \"true\", prometheus.io/port: \"9187\"}}\n    spec:\n      containers:\n        - name: db\n          lifecycle: {{preStop: {{sleep: {{seconds: 5}}}}}}\n          image: postgres:16.{v}\n          ports: [{{name: pg, containerPort: 5432}}, {{name: metrics, containerPort: 9187}}]\n          readinessProbe: {{tcpSocket: {{port: pg}}}}\n          livenessProbe: {{tcpSocket: {{port: pg}}, failureThreshold: 6}}\n          resources: {{requests: {{cpu: 500m, memory: 1Gi}}}}\n  volumeClaimTemplates:\n    - metadata: {{name: data}}\n      spec:\n        accessModes: [ReadWriteOnce]\n        resources: {{requests: {{storage: 10Gi}}}}\n",
        ns = i % 17,
        v = i % 4
    );
}

fn ingress(i: usize, s: &mut String) {
    let _ = write!(
        s,
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web-{i}\n  namespace: team-{}\nspec:\n  rules:\n    - host: web-{i}.example.com\n      http:\n        paths:\n          - path: /\n            pathType: Prefix\n            backend:\n              service:\n                name: web-{i}\n                port: {{number: 80}}\n",
        i % 17
    );
}

fn monitor(i: usize, s: &mut String) {
    let _ = write!(
        s,
        "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: web-{i}\n  namespace: team-{}\nspec:\n  selector:\n    matchLabels: {{app.kubernetes.io/name: db-{i}}}\n  endpoints:\n    - port: http\n      interval: 30s\n",
        i % 17
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out = std::path::PathBuf::from(args.get(1).expect("usage: gen_corpus OUT_DIR [OBJECTS] [PER_FILE]"));
    let objects: usize = args.get(2).map_or(10_000, |a| a.parse().expect("OBJECTS"));
    let per_file: usize = args.get(3).map_or(5, |a| a.parse().expect("PER_FILE"));
    let _ = std::fs::remove_dir_all(&out);
    let mut bytes = 0;
    let mut n = 0;
    let mut file = 0;
    while n < objects {
        let mut s = String::new();
        for k in 0..per_file.min(objects - n) {
            if k > 0 {
                s.push_str("---\n");
            }
            let i = n + k;
            match i % 10 {
                0..=3 => deployment(i, &mut s),
                4 | 5 => service(i, &mut s),
                6 => configmap(i, &mut s),
                7 => statefulset(i, &mut s),
                8 => ingress(i, &mut s),
                _ => monitor(i, &mut s),
            }
        }
        n += per_file.min(objects - n);
        let dir = out.join(format!("team-{:02}", file % 20));
        std::fs::create_dir_all(&dir).expect("create dir");
        std::fs::write(dir.join(format!("app-{file:05}.yaml")), &s).expect("write");
        bytes += s.len();
        file += 1;
    }
    eprintln!("wrote {n} objects in {file} files, {:.1} MB, to {}", bytes as f64 / 1e6, out.display());
}
