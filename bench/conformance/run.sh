#!/bin/sh
# The Connect conformance suite (connectrpc.com/conformance, pinned in scripts/install-tools.sh)
# against our stack: the server with connect-node alone, the server with the fast path in front,
# that server again bundled as the image runs the services (scripts/bundle.ts: one CommonJS file,
# with services/platform/headers.ts for Headers), and the channel's lean unary client.
# Exits non-zero when any run fails.
#   sh bench/conformance/run.sh [standard] [fast] [bundled] [client]     (no argument: all four)
set -eu
cd "$(dirname "$0")/../.."
. scripts/use-node.sh
sh scripts/install-tools.sh connectconformance
runner="${MESH_TOOLS_CACHE:-$HOME/.cache/grpc-mesh}/bin/connectconformance"
dir=bench/conformance
only="${*:-standard fast bundled client}"
status=0
for what in $only; do
  echo "== conformance: $what"
  case "$what" in
    standard)
      "$runner" --mode server --conf "$dir/server-config.yaml" \
        --known-failing "@$dir/known-failing.txt" --known-flaky "@$dir/known-flaky.txt" \
        -- node --import tsx "$dir/server.ts" --path standard || status=1 ;;
    fast)
      "$runner" --mode server --conf "$dir/server-config.yaml" \
        --known-failing "@$dir/known-failing.txt" --known-flaky "@$dir/known-flaky.txt" \
        -- node --import tsx "$dir/server.ts" --path fast || status=1 ;;
    bundled)
      out=.cache/conformance-bundle
      rm -rf "$out"
      node --import tsx scripts/bundle.ts "$out" conformance-server=bench/conformance/server.ts
      "$runner" --mode server --conf "$dir/server-config.yaml" \
        --known-failing "@$dir/known-failing.txt" --known-flaky "@$dir/known-flaky.txt" \
        -- node "$out/conformance-server.cjs" --path fast || status=1
      rm -rf "$out" ;;
    client)
      "$runner" --mode client --conf "$dir/client-config.yaml" -- node --import tsx "$dir/client.ts" || status=1 ;;
    *) echo "unknown run: $what (standard, fast, bundled or client)" >&2; exit 2 ;;
  esac
done
exit $status
