#!/bin/sh
# `kubectl apply --dry-run=server` of every render against a real kube-apiserver with etcd on loopback (built by
# build-apiserver.sh): full API validation, defaulting and admission, including Pod Security: each namespace
# enforces and warns at the "restricted" level, and any "would violate PodSecurity" warning (which is all that
# Deployments and StatefulSets get) fails the check. The CRDs of GRPCRoute and ServiceMonitor are installed first.
#   apiserver-dry-run.sh [MANIFEST.yaml...]   (default: every value set, k8s/ and the skaffold verify Job)
set -eu
# shellcheck source=env.sh
. "$(dirname -- "$0")/env.sh"
kube="$cache/kube-$apiserver_version"
# shellcheck disable=SC2086 # crd_files is a list
need "$kube/kube-apiserver" "$kube/etcd" "$kube/kubectl" $crd_files

work=$(mktemp -d)
pids=""
# shellcheck disable=SC2329 # called by the trap
cleanup() {
  # Nothing to keep: SIGKILL (kube-apiserver's graceful stop can hang once etcd is gone).
  for pid in $pids; do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in $pids; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() { # a loopback port nobody listens on, from a range unlikely to collide
  port=$(( 20000 + $$ % 20000 + $1 ))
  while ss -Htln "sport = :$port" | grep -q .; do port=$((port + 1)); done
  echo "$port"
}
etcd_port=$(free_port 0)
peer_port=$(free_port 1)
api_port=$(free_port 2)

"$kube/etcd" --name mesh --data-dir "$work/etcd" --unsafe-no-fsync \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
  --initial-cluster "mesh=http://127.0.0.1:$peer_port" --log-level warn > "$work/etcd.log" 2>&1 &
pids="$pids $!"

openssl genrsa -out "$work/sa.key" 2048 2>/dev/null
openssl rsa -in "$work/sa.key" -pubout -out "$work/sa.pub" 2>/dev/null
token=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
echo "$token,admin,admin,system:masters" > "$work/tokens.csv"
"$kube/kube-apiserver" --etcd-servers "http://127.0.0.1:$etcd_port" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" --cert-dir "$work/certs" \
  --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$work/sa.pub" \
  --service-account-signing-key-file "$work/sa.key" --service-cluster-ip-range 10.96.0.0/16 \
  --token-auth-file "$work/tokens.csv" --authorization-mode RBAC \
  --endpoint-reconciler-type none > "$work/apiserver.log" 2>&1 &
apiserver=$!
pids="$pids $apiserver"

cat > "$work/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: local, cluster: {server: "https://127.0.0.1:$api_port", insecure-skip-tls-verify: true}}]
users: [{name: admin, user: {token: "$token"}}]
contexts: [{name: local, context: {cluster: local, user: admin}}]
current-context: local
EOF
kubectl() { "$kube/kubectl" --kubeconfig "$work/kubeconfig" "$@"; }

ready=0
for _ in $(seq 1 120); do
  if kubectl get --raw /readyz >/dev/null 2>&1; then ready=1; break; fi
  kill -0 "$apiserver" 2>/dev/null || break
  sleep 0.5
done
if [ "$ready" -ne 1 ]; then
  echo "kube-apiserver did not become ready:" >&2
  tail -n 20 "$work/apiserver.log" "$work/etcd.log" >&2
  exit 1
fi
echo "kube-apiserver $("$kube/kube-apiserver" --version | awk '{print $2}') ready on 127.0.0.1:$api_port"

for crd in $crd_files; do kubectl apply --server-side -f "$crd" >/dev/null; done
kubectl wait --for condition=Established --timeout 60s crd --all >/dev/null

cd "$repo"
if [ $# -eq 0 ]; then
  sh scripts/k8s/render.sh sets "$work/sets"
  set -- "$work"/sets/*.yaml k8s/00-namespace.yaml k8s/10-grpc-mesh.yaml scripts/k8s/skaffold-verify-job.yaml
fi

# The namespaces exist for real (a dry-run Namespace cannot hold dry-run objects), with Pod Security labels;
# the controller manager does not run, so each gets its default ServiceAccount by hand.
"$venv/bin/python" -c '
import sys, yaml
names = set()
for path in sys.argv[1:]:
    for doc in yaml.safe_load_all(open(path)):
        if doc and doc.get("kind") != "Namespace" and doc.get("metadata", {}).get("namespace"):
            names.add(doc["metadata"]["namespace"])
        elif doc and doc.get("kind") == "Namespace":
            names.add(doc["metadata"]["name"])
print("\n".join(sorted(names)))' "$@" > "$work/namespaces"
while read -r ns; do
  kubectl create namespace "$ns" >/dev/null
  kubectl label namespace "$ns" pod-security.kubernetes.io/enforce=restricted pod-security.kubernetes.io/warn=restricted >/dev/null
  kubectl -n "$ns" create serviceaccount default >/dev/null
done < "$work/namespaces"

status=0
for manifest in "$@"; do
  if kubectl apply --dry-run=server -f "$manifest" > "$work/out" 2>&1 && ! grep -q "would violate PodSecurity" "$work/out"; then
    echo "ok: $manifest ($(grep -c 'server dry run' "$work/out") objects)"
  else
    echo "FAILED: $manifest"
    grep -v 'server dry run' "$work/out" || true
    status=1
  fi
done
exit $status
