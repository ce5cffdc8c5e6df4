#!/bin/bash
# `codegraph mcp` on one repository, opening the index itself and then
# forwarding to a running `codegraph serve --mcp` that holds it (same index):
# latency per tool and resident memory of each (mcp_latency.py).
#
# usage: bash crates/codegraph-mcp/bench/bridge_latency.sh REPO CACHE_DIR [mcp_latency.py options]
# e.g.   bash crates/codegraph-mcp/bench/bridge_latency.sh .bench/jdk/java.base .bench/cli-cache-jdk-vec \
#          --runs 30 --symbol HashMap.resize --file java/util/HashMap.java \
#          --query "resize the hash table when it grows" --task-file crates/codegraph-mcp/bench/issue-java-base.txt
# Needs a release build (target/release/codegraph), the SDK in target/pydeps-mcp, and curl.
set -euo pipefail
repo=$(realpath "$1")
export CODEGRAPH_CACHE_DIR=$(realpath "$2")
shift 2
bin=$PWD/target/release/codegraph
work=$(mktemp -d)
trap 'kill "${serve:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -m 700 "$work/run"
export XDG_RUNTIME_DIR=$work/run
latency() { PYTHONPATH=target/pydeps-mcp python3 crates/codegraph-mcp/bench/mcp_latency.py "$bin" "$repo" "$@"; }

echo "== codegraph mcp, opening the index itself"
latency "$@"

"$bin" serve --mcp --allow-root "$(dirname "$repo")" --state-dir "$work/state" 2>"$work/serve.err" &
serve=$!
socket=$XDG_RUNTIME_DIR/codegraph/serve.sock
# The first request registers the repository; wait until its index is live.
until curl -s --unix-socket "$socket" -X POST "http://localhost/mcp?repo=$repo" \
    -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
    -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"index_status","arguments":{}}}' \
    | grep -q 'complete and live'; do
  sleep 2
done
echo "== codegraph mcp, through codegraph serve --mcp"
latency "$@"
echo "codegraph serve resident memory: $(grep VmHWM /proc/$serve/status)"
