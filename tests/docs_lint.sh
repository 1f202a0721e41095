#!/usr/bin/env bash
# Documentation lint for `make test`: antsibull-docs checks the plugin and module docs (as rendered by ansible-doc),
# docs/docsite/links.yml, docs/docsite/extra-docs.yml and the RST guides they list.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
export PATH="$repo/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="${ANSIBLE_COLLECTIONS_PATH:-$repo/.build/collections}"
antsibull-docs lint-collection-docs --plugin-docs .
