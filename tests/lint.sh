#!/usr/bin/env bash
# Static checks that are not ansible-test sanity: ansible-lint (production profile) on roles and playbooks,
# the changelog fragments, and the documentation lint when present.
set -euo pipefail
cd "$(dirname "$0")/.."
export ANSIBLE_COLLECTIONS_PATH="${ANSIBLE_COLLECTIONS_PATH:-$PWD/.build/collections}"
bin=.venv/bin
targets=()
[ -d roles ] && [ -n "$(ls -A roles 2>/dev/null)" ] && targets+=(roles)
[ -d playbooks ] && [ -n "$(ls -A playbooks 2>/dev/null)" ] && targets+=(playbooks)
if [ ${#targets[@]} -gt 0 ]; then
  echo "== ansible-lint --profile production ${targets[*]}"
  "$bin/ansible-lint" --profile production --offline "${targets[@]}"
fi
echo "== ruff check (ruff.toml)"
"$bin/ruff" check --no-cache .
echo "== mypy (plugins/module_utils, mypy.ini)"
(cd .build/collections && MYPYPATH=. "$OLDPWD/$bin/mypy" --config-file "$OLDPWD/mypy.ini" \
  -p ansible_collections.w365.cloudpc.plugins.module_utils)
echo "== antsibull-changelog lint"
"$bin/antsibull-changelog" lint
if [ -f tests/docs_lint.sh ]; then
  echo "== docs lint"
  bash tests/docs_lint.sh
fi
