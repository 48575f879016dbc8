# Shared settings of the scripts in scripts/k8s/ (sourced, not run).
# shellcheck disable=SC2034 # the variables are for the scripts that source this file
# Tools come from scripts/install-tools.sh; nothing here downloads anything.

repo=$(cd -- "$(dirname -- "$0")/../.." && pwd)
cache="${MESH_TOOLS_CACHE:-$HOME/.cache/grpc-mesh}"
tools="$cache/bin"
venv="$cache/venv"
files="$cache/files"
schemas="$cache/schemas"

# helm --kube-version (a go-installed helm v3 otherwise assumes 1.20) and the Kubernetes versions whose
# OpenAPI schemas every rendered object must satisfy: the current release and the oldest one still common.
kube_version=1.37.0
schema_versions="1.37.0 1.30.0"

# The CRDs of the optional objects, validated strictly like the built-in kinds.
crd_files="$files/crd-grpcroutes-gateway-api-v1.4.1.yaml $files/crd-servicemonitors-prometheus-operator-v0.85.0.yaml"
skaffold_schema="$files/skaffold-v4beta13.json"

# Value sets that CI renders and checks: name, release, namespace, values file ("-" for the chart defaults).
value_sets='
default            grpc-mesh  grpc-mesh  -
development        grpc-mesh  grpc-mesh  helm/values-dev.yaml
exec-probes        grpc-mesh  grpc-mesh  helm/ci/exec-probes-values.yaml
external-database  mesh-prod  mesh       helm/ci/external-database-values.yaml
all-optional       shop       shop-ns    helm/ci/all-optional-values.yaml
'

# The plain manifests in k8s/: the chart's defaults, release and namespace "grpc-mesh", plus fixed
# development passwords (the chart generates random ones, which would make k8s/ change on every render).
plain_release=grpc-mesh
plain_namespace=grpc-mesh
plain_values=scripts/k8s/values/plain-manifests.yaml

# The chart's copy of the Grafana dashboard kept under observability/ (render.sh dashboard, check-drift.sh).
dashboard_source="$repo/observability/grafana/mesh-dashboard.json"
dashboard_copy="$repo/helm/dashboards/grpc-mesh.json"

need() { # need FILE...: fail unless every tool or file is there
  for f in "$@"; do
    [ -e "$f" ] || { echo "missing $f: run scripts/install-tools.sh first" >&2; exit 2; }
  done
}

# The real kube-apiserver of the optional server-side dry run (build-apiserver.sh, apiserver-dry-run.sh).
apiserver_version=v1.37.2
etcd_version=v3.7.3
