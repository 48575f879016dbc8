#!/bin/sh
# The API checks CI runs: lint, formatting, breaking changes, and that gen/ is
# exactly what buf generates from proto/.
set -e
cd "$(dirname "$0")/.."
buf=node_modules/.bin/buf
$buf lint
$buf format --diff --exit-code
# Breaking changes: against main from a branch; on main, against the previous commit.
branch=$(git rev-parse --abbrev-ref HEAD 2>/dev/null || echo "")
if [ "$branch" != "main" ] && git rev-parse --verify -q main >/dev/null; then
  against=".git#branch=main"
elif git rev-parse --verify -q HEAD~1 >/dev/null && git cat-file -e HEAD~1:proto 2>/dev/null; then
  against=".git#ref=HEAD~1"
else
  against=""
fi
if [ -n "$against" ]; then
  $buf breaking --against "$against"
  echo "buf breaking: no breaking change against $against"
else
  echo "buf breaking: no earlier proto/ to compare against"
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
PATH="$(pwd)/node_modules/.bin:$PATH" $buf generate -o "$out"
if ! diff -r gen "$out/gen" >/dev/null; then
  diff -ru gen "$out/gen" | head -50
  echo "gen/ is stale: run npm run generate and commit gen/" >&2
  exit 1
fi
echo "proto checks passed"
