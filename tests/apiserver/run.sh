#!/usr/bin/env bash
# A real Kubernetes control plane for the live tests, the way controller-runtime's envtest
# does it: kube-apiserver and kube-controller-manager built from the Go module proxy (cached
# outside the clone, keyed by version), etcd from the distribution.
#
#   run.sh build          build (or reuse) the binaries; prints their folder
#   run.sh start DIR      start etcd + kube-apiserver + kube-controller-manager with state in DIR;
#                         writes DIR/kubeconfig (contexts: admin, nobody, viewer) and DIR/env
#                         (KUBECTL_STRATEGY_APISERVER=DIR/kubeconfig, the variable the live tests read)
#   run.sh stop DIR       stop what `start DIR` started
#   run.sh built          exit 0 when the binaries are already cached
#
# With KUBE_STOP_WITH_PID=PID, `start` also leaves a watcher that stops the servers when
# process PID ends (the test harness starts its own server that way).
#
# Environment: KUBE_VERSION (default below), KUBECTL_STRATEGY_CACHE (default ~/.cache/kubectl-strategy),
# ETCD (default: etcd on PATH, else /usr/bin/etcd).
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.36.2}"
CACHE="${KUBECTL_STRATEGY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-strategy}"
BIN="$CACHE/kube-$KUBE_VERSION"

log() { echo "apiserver: $*" >&2; }

build() {
  if [[ -x "$BIN/kube-apiserver" && -x "$BIN/kube-controller-manager" ]]; then
    echo "$BIN"
    return
  fi
  command -v go >/dev/null || { log "go is needed to build kube-apiserver"; exit 1; }
  local mod="$CACHE/build-$KUBE_VERSION"
  mkdir -p "$mod" "$BIN"
  cd "$mod"
  # k8s.io/kubernetes replaces its staging modules with ./staging/src/...; a module that
  # requires it must name the published versions instead: v1.Y.Z -> v0.Y.Z.
  local staging="v0.${KUBE_VERSION#v1.}"
  local gomod
  gomod="$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^\s*"GoMod": "\(.*\)",$/\1/p')"
  [[ -f "$gomod" ]] || { log "cannot download k8s.io/kubernetes@$KUBE_VERSION"; exit 1; }
  {
    echo "module kubectl-strategy.test/kube"
    echo
    echo "go $(sed -n 's/^go //p' "$gomod")"
    echo
    echo "require k8s.io/kubernetes $KUBE_VERSION"
    echo
    echo "replace ("
    sed -n 's#^\s*\(k8s\.io/[^ ]*\) => \./staging/src/.*#\t\1 => \1 '"$staging"'#p' "$gomod"
    echo ")"
  } > go.mod
  log "building kube-apiserver and kube-controller-manager $KUBE_VERSION (about 10 minutes on 2 cores)"
  # The machine's own Go, never a downloaded toolchain.
  export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
  go get "k8s.io/kubernetes@$KUBE_VERSION" 2>/dev/null
  local cmd
  for cmd in kube-apiserver kube-controller-manager; do
    go build -trimpath -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(echo "$KUBE_VERSION" | cut -d. -f2)" \
      -o "$BIN/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd"
    mv "$BIN/$cmd.tmp" "$BIN/$cmd"
  done
  echo "$BIN"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_for() { # what, seconds, command...
  local what="$1" secs="$2"; shift 2
  local i
  for ((i = 0; i < secs * 10; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  log "$what did not come up in ${secs}s"
  return 1
}

start() {
  local dir="${1:?usage: run.sh start DIR}"
  build >/dev/null
  local etcd="${ETCD:-$(command -v etcd || echo /usr/bin/etcd)}"
  [[ -x "$etcd" ]] || { log "etcd not found (Debian: apt-get install etcd-server)"; exit 1; }
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  cd "$dir"

  # Certificates: a CA, the serving cert for 127.0.0.1, a client cert for the controller manager.
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca -keyout ca.key -out ca.crt 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj /CN=kube-apiserver -keyout serving.key -out serving.csr 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > serving.ext
  openssl x509 -req -in serving.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile serving.ext -out serving.crt 2>/dev/null
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null

  # Static tokens: an admin, a user with no rights, a user bound to the `view` role.
  local admin nobody viewer
  admin="admin-$(openssl rand -hex 12)"
  nobody="nobody-$(openssl rand -hex 12)"
  viewer="viewer-$(openssl rand -hex 12)"
  cat > tokens.csv <<CSV
$admin,admin,1,"system:masters"
$nobody,nobody,2
$viewer,viewer,3
CSV

  local etcd_port etcd_peer port
  etcd_port="$(free_port)"
  etcd_peer="$(free_port)"
  port="$(free_port)"
  "$etcd" --data-dir "$dir/etcd" --listen-client-urls "http://127.0.0.1:$etcd_port" \
    --advertise-client-urls "http://127.0.0.1:$etcd_port" --listen-peer-urls "http://127.0.0.1:$etcd_peer" \
    --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" --initial-cluster "default=http://127.0.0.1:$etcd_peer" >etcd.log 2>&1 &
  echo $! > etcd.pid

  "$BIN/kube-apiserver" --etcd-servers "http://127.0.0.1:$etcd_port" --bind-address 127.0.0.1 \
    --secure-port "$port" --cert-dir "$dir/certs" --tls-cert-file serving.crt --tls-private-key-file serving.key \
    --client-ca-file ca.crt --token-auth-file tokens.csv --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc --service-account-key-file sa.pub \
    --service-account-signing-key-file sa.key --service-cluster-ip-range 10.0.0.0/24 \
    --allow-privileged --disable-admission-plugins ServiceAccount --advertise-address 127.0.0.1 \
    >apiserver.log 2>&1 &
  echo $! > apiserver.pid

  local server="https://127.0.0.1:$port"
  kubeconfig "$server" "$admin" "$nobody" "$viewer" > kubeconfig
  # The controller manager talks as the admin (system:masters).

  if ! wait_for "kube-apiserver /readyz" 60 curl -fsS --cacert ca.crt -H "Authorization: Bearer $admin" "$server/readyz"; then
    tail -20 apiserver.log >&2
    stop "$dir"
    exit 1
  fi
  "$BIN/kube-controller-manager" --kubeconfig kubeconfig \
    --bind-address 127.0.0.1 --secure-port 0 \
    --service-account-private-key-file sa.key --root-ca-file ca.crt --use-service-account-credentials=false \
    --leader-elect=false >controller-manager.log 2>&1 &
  echo $! > controller-manager.pid

  # The view role for the viewer (RBAC objects are ready with /readyz).
  kubectl --kubeconfig kubeconfig create clusterrolebinding viewer-view --clusterrole view --user viewer >/dev/null
  # kubectl needs /openapi/v2 (a Go toolchain newer than the release's broke it once): check it.
  if ! curl -fsS --cacert ca.crt -H "Authorization: Bearer $admin" -o /dev/null "$server/openapi/v2"; then
    log "/openapi/v2 does not answer"
    stop "$dir"
    exit 1
  fi
  cat > env <<ENV
KUBECTL_STRATEGY_APISERVER=$dir/kubeconfig
ENV
  if [[ -n "${KUBE_STOP_WITH_PID:-}" ]]; then
    (
      while kill -0 "$KUBE_STOP_WITH_PID" 2>/dev/null; do sleep 1; done
      stop "$dir"
      rm -rf "$dir"
    ) </dev/null >/dev/null 2>&1 &
    disown
  fi
  log "ready at $server (kubeconfig: $dir/kubeconfig)"
}

kubeconfig() { # server admin nobody viewer
  cat <<YAML
apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: $1
    certificate-authority: $PWD/ca.crt
users:
- name: admin
  user:
    token: $2
- name: nobody
  user:
    token: $3
- name: viewer
  user:
    token: $4
contexts:
- name: admin
  context: {cluster: test, user: admin, namespace: default}
- name: nobody
  context: {cluster: test, user: nobody, namespace: default}
- name: viewer
  context: {cluster: test, user: viewer, namespace: default}
current-context: admin
YAML
}

stop() {
  # A throw-away test server: no graceful shutdown (kube-apiserver's waits for etcd, which may be gone).
  local dir="${1:?usage: run.sh stop DIR}" p
  for p in controller-manager apiserver etcd; do
    if [[ -f "$dir/$p.pid" ]]; then
      kill -9 "$(cat "$dir/$p.pid")" 2>/dev/null || true
      rm -f "$dir/$p.pid"
    fi
  done
}

case "${1:-}" in
  build) build ;;
  start) start "${2:-}" ;;
  stop) stop "${2:-}" ;;
  built) [[ -x "$BIN/kube-apiserver" && -x "$BIN/kube-controller-manager" ]] ;;
  *) echo "usage: $0 build | built | start DIR | stop DIR" >&2; exit 2 ;;
esac
