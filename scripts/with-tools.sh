#!/usr/bin/env bash
# Runs a command with the code generators of .tools/ first on PATH,
# installing them first when they are missing or out of date.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/codegen-tools.sh"
PATH="$root/.tools/bin:$PATH" exec "$@"
