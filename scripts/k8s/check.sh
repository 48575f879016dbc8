#!/bin/sh
# Every offline check of the Kubernetes delivery, as CI runs it:
#   hadolint on the Dockerfile; shellcheck on these scripts; helm lint --strict and a render per value set
#   (env.sh); strict schema validation and consistency checks of every render, of k8s/ and of the skaffold
#   verify Job; skaffold.yaml against skaffold's JSON schema; k8s/ equal to a fresh render (no drift); and,
#   when build-apiserver.sh has run, kubectl apply --dry-run=server against a real kube-apiserver.
# Tools: scripts/install-tools.sh (run first; this script only checks they are there).
set -eu
# shellcheck source=env.sh
. "$(dirname -- "$0")/env.sh"
# shellcheck disable=SC2086 # crd_files is a list
need "$tools/helm" "$tools/kubeconform" "$venv/bin/python" "$venv/bin/hadolint" "$venv/bin/shellcheck" "$skaffold_schema" $crd_files
cd "$repo"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
step() { # step NAME COMMAND...: runs one check, counting it
  step_name=$1
  shift
  echo "== $step_name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $step_name"; fi
}

sh scripts/k8s/prepare-schemas.sh

step "hadolint Dockerfile" "$venv/bin/hadolint" Dockerfile
step "shellcheck scripts" "$venv/bin/shellcheck" -x -P SCRIPTDIR -s sh scripts/install-tools.sh scripts/k8s/*.sh

lint() { # lint VALUES: helm lint --strict with one value set
  if [ "$1" = "-" ]; then
    "$tools/helm" lint --strict --kube-version "$kube_version" helm
  else
    "$tools/helm" lint --strict --kube-version "$kube_version" helm -f "$1"
  fi
}
step "render value sets" sh scripts/k8s/render.sh sets "$work/sets"
sets=$(echo "$value_sets" | awk 'NF { print $1 ":" $4 }')
for entry in $sets; do
  name=${entry%%:*}
  values=${entry#*:}
  step "helm lint --strict ($name)" lint "$values"
  if [ "$values" = "-" ]; then
    step "manifests ($name)" sh scripts/k8s/check-manifests.sh "$work/sets/$name.yaml"
  else
    step "manifests ($name)" sh scripts/k8s/check-manifests.sh "$work/sets/$name.yaml" --values "$values"
  fi
done

step "manifests (k8s/ and the skaffold verify Job)" sh scripts/k8s/check-manifests.sh k8s/*.yaml scripts/k8s/skaffold-verify-job.yaml
step "skaffold.yaml schema" "$venv/bin/python" scripts/k8s/validate-skaffold.py skaffold.yaml "$skaffold_schema"

step "k8s/ equals a fresh render" sh scripts/k8s/check-drift.sh

# Optional: a real kube-apiserver, when scripts/k8s/build-apiserver.sh has built one (about 15 minutes, once).
if [ -x "$cache/kube-$apiserver_version/kube-apiserver" ]; then
  step "kubectl apply --dry-run=server (kube-apiserver $apiserver_version, restricted Pod Security)" \
    sh scripts/k8s/apiserver-dry-run.sh
else
  echo "== skipped: server-side dry run (no kube-apiserver $apiserver_version: scripts/k8s/build-apiserver.sh builds one)"
fi

echo "k8s: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
