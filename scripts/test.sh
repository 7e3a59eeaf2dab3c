#!/usr/bin/env bash
# Set up (first run only) and run every check: lint, types, the whole test suite.
# As root, the network-namespace and user-mode-Linux tests run; they never touch this
# machine's own interfaces or /etc.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
scripts/setup.sh --test

echo "== ruff"
.venv/bin/ruff check .

echo "== mypy --strict (core, backends, api)"
# The sources live in core/, backends/ and api/ but import as ifsmith.core, ifsmith.backends,
# ifsmith.api:
# give mypy that layout through a tree of symlinks.
shadow="$(mktemp -d)"
trap 'rm -rf "$shadow"' EXIT
mkdir -p "$shadow/ifsmith"
ln -s "$here/core" "$shadow/ifsmith/core"
ln -s "$here/backends" "$shadow/ifsmith/backends"
ln -s "$here/api" "$shadow/ifsmith/api"
(cd "$shadow" && MYPYPATH="$shadow" "$here/.venv/bin/mypy" --strict --explicit-package-bases \
    --config-file "$here/pyproject.toml" --cache-dir "$shadow/.mypy_cache" \
    -p ifsmith.core -p ifsmith.backends -p ifsmith.api)

echo "== pytest"
set +e
.venv/bin/python -m pytest -n auto -p no:cacheprovider -q -rs "$@"
rc=$?
set -e
exit $rc
