#!/bin/sh
# Builds a real kube-apiserver, etcd and kubectl through the Go module proxy, once, into the tools cache, for
# `kubectl apply --dry-run=server` on loopback (apiserver-dry-run.sh). k8s.io/kubernetes requires its staging
# modules at v0.0.0 and replaces them with local folders, which `go install` refuses: a wrapper module points
# every k8s.io/* v0.0.0 requirement at its published v0.<minor>.<patch> instead. etcd is the server module's
# etcdmain (Debian's etcd 3.4 is too old; Kubernetes v1.37.2 itself requires 3.7.0).
#   build-apiserver.sh            (skips what is already built)
set -eu
# shellcheck source=env.sh
. "$(dirname -- "$0")/env.sh"
PATH="/usr/local/go/bin:$PATH"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod

version=$apiserver_version
out="$cache/kube-$version"
if [ -x "$out/kube-apiserver" ] && [ -x "$out/etcd" ] && [ -x "$out/kubectl" ]; then exit 0; fi

module="$cache/build/kube-$version"
mkdir -p "$module/etcd" "$out"
minor=${version#v1.}
mod=$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
{
  echo "module grpc-mesh.local/kube-tools"
  echo
  echo "go $(awk '$1 == "go" { print $2; exit }' "$mod")"
  echo
  echo "require k8s.io/kubernetes $version"
  echo
  awk -v v="v0.$minor" '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" { print "replace " $1 " => " $1 " " v }' "$mod"
} > "$module/go.mod"
cat > "$module/etcd/main.go" <<'GO'
// etcd's server, as the etcd binary runs it.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
cd "$module"
go get k8s.io/kubernetes/cmd/kube-apiserver@"$version" k8s.io/kubernetes/cmd/kubectl@"$version" go.etcd.io/etcd/server/v3/etcdmain@"$etcd_version"
stamp="-X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=1"
stamp="$stamp -X k8s.io/component-base/version.gitMinor=${minor%%.*} -X k8s.io/component-base/version.gitTreeState=clean"
stamp="$stamp -X k8s.io/client-go/pkg/version.gitVersion=$version"
go build -trimpath -ldflags "-s -w $stamp" -o "$out/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
go build -trimpath -ldflags "-s -w $stamp" -o "$out/kubectl" k8s.io/kubernetes/cmd/kubectl
go build -trimpath -ldflags "-s -w" -o "$out/etcd" ./etcd
