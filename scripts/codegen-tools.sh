#!/usr/bin/env bash
# Installs what `buf generate` and the Go/Python SDK tests need beyond
# node_modules into .tools/ (gitignored), so a fresh clone needs only Go,
# python3 and `npm ci`: protoc-gen-go and protoc-gen-connect-go (.tools/bin),
# a venv with grpcio-tools' protoc, protoc-gen-connectrpc, pytest,
# kubernetes-validate and the Python SDK itself (.tools/venv), and
# .tools/bin/protoc, a wrapper around grpcio-tools' protoc for buf's builtin
# python/pyi generators (Debian's protoc is too old for the protobuf runtime
# the SDK uses).
# Idempotent: a stamp of the pinned versions makes a second run a no-op.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/.tools"

# The Go runtime of clients/go (go.mod) pins the same versions.
PROTOC_GEN_GO_VERSION=v1.36.12
CONNECT_GO_VERSION=v1.21.1

want="$(cat "$0" "$root/scripts/tools-requirements.txt" "$root/clients/python/pyproject.toml" | sha256sum)"
if [ "$(cat "$tools/stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi

for cmd in go python3; do
  command -v "$cmd" >/dev/null || { echo "codegen-tools: $cmd is required (Go 1.26+, Python 3.11+)" >&2; exit 1; }
done

echo "codegen-tools: installing into $tools" >&2
rm -rf "$tools"
mkdir -p "$tools/bin"
GOBIN="$tools/bin" go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO_VERSION"
GOBIN="$tools/bin" go install "connectrpc.com/connect/cmd/protoc-gen-connect-go@$CONNECT_GO_VERSION"

python3 -m venv "$tools/venv"
"$tools/venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/scripts/tools-requirements.txt"
# The constraints keep the SDK's dependency ranges resolved to the pins above.
"$tools/venv/bin/pip" install --quiet --disable-pip-version-check -c "$root/scripts/tools-requirements.txt" -e "$root/clients/python"
ln -s ../venv/bin/protoc-gen-connectrpc "$tools/bin/protoc-gen-connectrpc"
ln -s ../venv/bin/pytest "$tools/bin/pytest"
ln -s ../venv/bin/kubernetes-validate "$tools/bin/kubernetes-validate"

cat > "$tools/bin/protoc" <<WRAPPER
#!/bin/sh
exec "$tools/venv/bin/python" -m grpc_tools.protoc "\$@"
WRAPPER
chmod +x "$tools/bin/protoc"

echo "$want" > "$tools/stamp"
