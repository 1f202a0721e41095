#!/usr/bin/env bash
# ansible-test sanity on a fresh copy of the collection (tracked + new, not ignored files), with no ignore files.
#
# ansible-test wants the collection at .../ansible_collections/<ns>/<name> as a real directory, and a copy keeps
# parallel runs (several engineers, CI) from seeing each other's half-written files or output.
# --venv: each sanity test gets its own pinned virtualenv under ~/.ansible/test/venv (created on first use, reused
# afterwards), so the project's .venv is never changed. Extra arguments go to ansible-test (e.g. --test pep8).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
bin="$repo/.venv/bin"
python_version="${SANITY_PYTHON:-3.11}"

for f in tests/sanity/ignore-*.txt; do
  if [ -e "$f" ]; then
    echo "sanity: $f exists; this collection keeps no ignore entries - fix the finding instead" >&2
    exit 1
  fi
done

work="$(mktemp -d "${TMPDIR:-/tmp}/w365-sanity.XXXXXX")"
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/w365/cloudpc"
mkdir -p "$dest"
# NUL-separated so odd file names survive; deleted-but-tracked files are skipped.
git ls-files -co --exclude-standard -z | while IFS= read -r -d '' f; do
  [ -e "$f" ] || continue
  mkdir -p "$dest/$(dirname "$f")"
  cp -p "$f" "$dest/$f"
done

cd "$dest"
# A git repository keeps ansible-test from warning about untracked content and lets it list files quickly.
git init -q . && git add -A >/dev/null 2>&1 && git -c user.email=sanity@localhost -c user.name=sanity commit -qm sanity

export PATH="$bin:$PATH"
# ansible-test keeps its per-test virtualenvs and caches under ~/.ansible/test; point HOME at the build directory so
# they are reused between runs but never touch the user's home.
export HOME="$repo/.build/ansible-test-home"
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
# The pip bootstrap script comes from ci-files.testing.ansible.com, which offline or proxied machines cannot reach.
at_dir="$("$bin/python" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')"
pip_version="$(grep -oP "pip='\K[0-9.]+" "$at_dir/_internal/python_requirements.py" | head -1 || true)"
pip_version="${pip_version:-24.2}"
bootstrap="$cache/get_pip_${pip_version//./_}.py"
if [ ! -s "$bootstrap" ]; then
  url="https://ci-files.testing.ansible.com/ansible-test/get-pip-${pip_version}.py"
  fetch='import sys, urllib.request; open(sys.argv[2], "wb").write(urllib.request.urlopen(sys.argv[1], timeout=20).read())'
  if ! "$bin/python" -c "$fetch" "$url" "$bootstrap.download" 2>/dev/null; then
    echo "sanity: $url unreachable; bootstrapping pip with ensurepip + the package index instead"
    cp "$repo/tests/sanity_support/get_pip_offline.py" "$bootstrap.download"
  fi
  mv "$bootstrap.download" "$bootstrap"
fi
args=(sanity --venv --python "$python_version" --color no)
echo "== ansible-test ${args[*]} $*"
"$bin/ansible-test" "${args[@]}" "$@"
