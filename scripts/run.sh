#!/usr/bin/env bash
# Set up (first run only) and run ifsmith; arguments go to ifsmith (none: the TUI).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/scripts/setup.sh"
exec "$here/.venv/bin/ifsmith" "$@"
