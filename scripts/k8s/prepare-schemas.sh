#!/bin/sh
# Builds the offline schema folder for kubeconform (once; cached under $MESH_TOOLS_CACHE/schemas).
set -eu
# shellcheck source=env.sh
. "$(dirname -- "$0")/env.sh"
# shellcheck disable=SC2086 # crd_files is a list
need "$venv/bin/python" $crd_files
crds=""
for f in $crd_files; do crds="$crds --crd $f"; done
versions=""
for v in $schema_versions; do versions="$versions --kube-version $v"; done
# shellcheck disable=SC2086
"$venv/bin/python" "$repo/scripts/k8s/prepare-schemas.py" "$schemas" $versions $crds
