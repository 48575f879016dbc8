#!/bin/sh
# Runs node with the tsx loader (so .ts files run directly) on Node.js >= 22.
set -e
. "$(dirname "$0")/use-node.sh"
exec node --import tsx "$@"
