#!/bin/sh
# Checks rendered manifests offline: strict schema validation of every object (kubeconform against the
# Kubernetes OpenAPI schemas of each version in env.sh, and the CRD schemas of GRPCRoute and ServiceMonitor),
# then the consistency checks (check-consistency.ts). Exits non-zero on any problem.
#   check-manifests.sh MANIFEST.yaml... [--values VALUES.yaml]...
# --values names the Helm values the manifests were rendered with: Secrets they name as existingSecret
# count as existing. Needs scripts/install-tools.sh and scripts/k8s/prepare-schemas.sh to have run.
set -eu
# shellcheck source=env.sh
. "$(dirname -- "$0")/env.sh"
need "$tools/kubeconform" "$venv/bin/python"

manifests=""
values=""
while [ $# -gt 0 ]; do
  case "$1" in
    --values) values="$values --values $2"; shift 2 ;;
    *) manifests="$manifests $1"; shift ;;
  esac
done
[ -n "$manifests" ] || { echo "usage: check-manifests.sh MANIFEST.yaml... [--values VALUES.yaml]..." >&2; exit 2; }

status=0
for version in $schema_versions; do
  need "$schemas/v$version-standalone-strict/.complete"
  # shellcheck disable=SC2086 # word splitting of the file lists is intended
  "$tools/kubeconform" -strict -summary -kubernetes-version "$version" \
    -schema-location "$schemas/{{.NormalizedKubernetesVersion}}-standalone{{.StrictSuffix}}/{{.ResourceKind}}{{.KindSuffix}}.json" \
    -schema-location "$schemas/crds/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json" \
    $manifests || status=1
done

# shellcheck disable=SC2086
"$venv/bin/python" "$repo/scripts/k8s/manifests-to-json.py" $manifests $values > "${TMPDIR:-/tmp}/mesh-consistency.$$.json"
sh "$repo/scripts/node.sh" "$repo/scripts/k8s/check-consistency.ts" "${TMPDIR:-/tmp}/mesh-consistency.$$.json" || status=1
rm -f "${TMPDIR:-/tmp}/mesh-consistency.$$.json"
exit $status
