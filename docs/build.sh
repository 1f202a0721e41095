#!/usr/bin/env bash
# Build the collection's documentation site (module docs + docs/docsite guides) into docs/build/html, offline.
# Run by `make docs`. antsibull-docs renders the plugin and guide pages as RST from the collection found on
# ANSIBLE_COLLECTIONS_PATH (the work tree, linked under .build/collections), then Sphinx renders HTML.
# DOCS_LENIENT=1 turns documentation errors into error pages instead of a failed build; DOCS_BUILD_DIR moves the
# output (default docs/build), so a test can build the site without touching the work tree.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
export PATH="$repo/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="${ANSIBLE_COLLECTIONS_PATH:-$repo/.build/collections}"
if [ ! -e "$ANSIBLE_COLLECTIONS_PATH/ansible_collections/w365/cloudpc/galaxy.yml" ]; then
  echo "docs: w365.cloudpc is not on ANSIBLE_COLLECTIONS_PATH ($ANSIBLE_COLLECTIONS_PATH); run 'make venv' first" >&2
  exit 1
fi

build="${DOCS_BUILD_DIR:-$repo/docs/build}"
site="$build/site"
html="$build/html"
rm -rf "$site" "$html"
mkdir -p "$site"

strict=(--fail-on-error)
[ "${DOCS_LENIENT:-0}" = 1 ] && strict=()

antsibull-docs sphinx-init --use-current --dest-dir "$site" "${strict[@]}" \
  --project "w365.cloudpc" --copyright "w365.cloudpc contributors" \
  --title "w365.cloudpc: Windows 365 automation for Ansible" --html-short-title "w365.cloudpc" \
  w365.cloudpc >/dev/null
# Offline: no inventory of another documentation site is fetched, so links to them stay plain text.
echo 'intersphinx_mapping = {}' >>"$site/conf.py"

mkdir -p "$site/rst"
chmod og-w "$site/rst"  # antsibull-docs wants its output directory writable by the owner only
antsibull-docs --config-file "$site/antsibull-docs.cfg" collection --use-current --cleanup everything \
  "${strict[@]}" --dest-dir "$site/rst" w365.cloudpc

# The generated pages link to two pages of Ansible's own documentation by label; offline there is no inventory
# to resolve them, so a small orphan page provides both labels as plain links to docs.ansible.com.
cat >"$site/rst/ansible_docs_links.rst" <<'RST'
:orphan:

Ansible documentation
=====================

.. _common_return_values:

Common return values
--------------------

https://docs.ansible.com/ansible/latest/reference_appendices/common_return_values.html

.. _action_plugins:

Action plugins
--------------

https://docs.ansible.com/ansible/latest/plugins/action.html

.. _ansible_configuration_settings:

Configuration settings
----------------------

https://docs.ansible.com/ansible/latest/reference_appendices/config.html
RST

# The landing page is ours (docs/site-index.rst), not antsibull-docs' placeholder.
cp "$repo/docs/site-index.rst" "$site/rst/index.rst"

# -W: a broken reference or malformed guide fails the build instead of shipping a page with a hole in it.
sphinx-build -b html -q -W --keep-going -c "$site" "$site/rst" "$html"
echo "docs: site written to $html/index.html"
