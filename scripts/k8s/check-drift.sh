#!/bin/sh
# Fails when the plain manifests (default: k8s/) differ from a fresh render of the chart, or the chart's copy
# of the Grafana dashboard differs from observability/grafana/mesh-dashboard.json.
#   check-drift.sh [DIR]
set -eu
# shellcheck source=env.sh
. "$(dirname -- "$0")/env.sh"
dir=${1:-$repo/k8s}
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
sh "$repo/scripts/k8s/render.sh" k8s "$fresh"
if ! diff -ru "$dir" "$fresh"; then
  echo "$dir differs from a fresh render of helm/: run scripts/k8s/render.sh k8s and commit k8s/"
  exit 1
fi
echo "$dir equals a fresh render of helm/"
if ! cmp -s "$dashboard_source" "$dashboard_copy"; then
  echo "$dashboard_copy differs from $dashboard_source: run scripts/k8s/render.sh dashboard and commit it"
  exit 1
fi
