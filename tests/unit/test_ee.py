# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The execution environment metadata and the example EE definition, checked the way ansible-builder uses them.

`ansible-builder create` only writes a build context, so it runs here without a container engine. The steps the
image build would run on that context (install the collection tarball, introspect its dependencies) are then
replayed locally with the very scripts ansible-builder put into the context.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

# Runs ansible-builder and ansible-galaxy: not in the fast tier.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
# Any attempt to reach the network during these steps fails fast instead of passing by luck.
OFFLINE_ENV = {
    **os.environ,
    'http_proxy': 'http://127.0.0.1:9', 'https_proxy': 'http://127.0.0.1:9',
    'HTTP_PROXY': 'http://127.0.0.1:9', 'HTTPS_PROXY': 'http://127.0.0.1:9',
    'no_proxy': '', 'NO_PROXY': '', 'PIP_NO_INDEX': '1',
}
# A collections path that already holds w365.cloudpc (the working-tree link) would make ansible-galaxy skip the
# install as "already installed": only the install directory of each test may be visible.
OFFLINE_ENV.pop('ANSIBLE_COLLECTIONS_PATH', None)
OFFLINE_ENV.pop('ANSIBLE_COLLECTIONS_PATHS', None)


def _tool(name):
    path = VENV_BIN / name
    return str(path) if path.exists() else shutil.which(name)


def _run(cmd, **kwargs):
    proc = subprocess.run(cmd, capture_output=True, text=True, env=OFFLINE_ENV, timeout=180, check=False, **kwargs)
    assert proc.returncode == 0, f'{cmd} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}'
    return proc


def _requirement_lines(path):
    return [line.strip() for line in Path(path).read_text().splitlines() if line.strip() and not line.startswith('#')]


def _collection_version():
    return yaml.safe_load((REPO / 'galaxy.yml').read_text())['version']


def test_collection_metadata_is_a_valid_v3_definition_naming_existing_files():
    from ansible_builder.ee_schema import validate_schema

    meta = yaml.safe_load((REPO / 'meta' / 'execution-environment.yml').read_text())
    validate_schema(meta)
    assert meta['version'] == 3
    assert meta['dependencies'] == {'python': 'requirements.txt', 'system': 'bindep.txt'}
    for rel in meta['dependencies'].values():
        assert not os.path.isabs(rel), 'ansible-builder refuses absolute paths in collection metadata'
        assert (REPO / rel).is_file()


def test_python_requirements_are_floors_that_merge_with_other_collections():
    lines = _requirement_lines(REPO / 'requirements.txt')
    assert lines
    for line in lines:
        assert '==' not in line and '<' not in line, f'{line!r}: pins clash with other collections in one EE'
        assert re.match(r'^[A-Za-z0-9][A-Za-z0-9._-]*>=[0-9]', line), line


def test_bindep_runtime_and_compile_profiles():
    from bindep.depends import Depends

    depends = Depends((REPO / 'bindep.txt').read_text())
    for platform in ('platform:rpm', 'platform:dpkg'):
        runtime = {rule[0] for rule in depends.active_rules([platform])}
        build = {rule[0] for rule in depends.active_rules([platform, 'compile'])}
        assert runtime == {'ca-certificates'}, (platform, runtime)
        assert 'gcc' in build and build > runtime
    rpm_build = {rule[0] for rule in depends.active_rules(['platform:rpm', 'compile'])}
    assert {'libffi-devel', 'openssl-devel'} <= rpm_build
    assert not {'libffi-dev', 'libssl-dev'} & rpm_build


def test_example_definition_validates_against_builder_schema():
    from ansible_builder.ee_schema import validate_schema

    definition = yaml.safe_load((REPO / 'docs' / 'ee' / 'execution-environment.yml').read_text())
    validate_schema(definition)
    assert definition['version'] == 3
    assert definition['dependencies']['galaxy'] == 'requirements.yml'
    assert 'ansible-core>=2.19' in definition['dependencies']['ansible_core']['package_pip']


@pytest.fixture(scope='module')
def build_context(tmp_path_factory):
    """docs/ee laid out beside a freshly built collection tarball, as after `make build`, then `ansible-builder create`."""
    root = tmp_path_factory.mktemp('ee')
    shutil.copytree(REPO / 'docs' / 'ee', root / 'docs' / 'ee')
    _run([_tool('ansible-galaxy'), 'collection', 'build', '--force', '--output-path', str(root / '.build' / 'dist'),
          str(REPO)])
    context = root / 'context'
    proc = _run([_tool('ansible-builder'), 'create', '-f', str(root / 'docs' / 'ee' / 'execution-environment.yml'),
                 '-c', str(context), '--output-filename', 'Containerfile', '-v', '3'])
    assert 'No matches' not in proc.stdout + proc.stderr
    return root, context


def test_builder_create_writes_a_complete_context(build_context):
    root, context = build_context
    containerfile = (context / 'Containerfile').read_text()
    assert 'ARG EE_BASE_IMAGE="quay.io/centos/centos:stream9"' in containerfile
    assert re.search(r'ARG ANSIBLE_INSTALL_REFS="ansible-core>=2.19,<2.20 ansible-runner>=2.4"', containerfile)
    assert 'ARG PYCMD="/usr/bin/python3.11"' in containerfile
    for script in ('assemble', 'introspect.py', 'install-from-bindep', 'check_galaxy', 'entrypoint'):
        assert (context / '_build' / 'scripts' / script).is_file(), script
    tarball = context / '_build' / 'collections' / f'w365-cloudpc-{_collection_version()}.tar.gz'
    assert tarball.is_file()
    assert (context / '_build' / 'requirements.yml').read_text() == (root / 'docs' / 'ee' / 'requirements.yml').read_text()
    # The tarball must be renamed before the galaxy stage installs it: the prepend steps sit before the install.
    galaxy_stage = containerfile.split('FROM base AS galaxy', 1)[1].split('FROM base AS builder', 1)[0]
    rename_at = galaxy_stage.index('COPY _build/collections/')
    assert rename_at < galaxy_stage.index('ansible-galaxy collection install')


def test_context_installs_the_collection_and_introspects_its_dependencies(build_context, tmp_path):
    """Replay the galaxy and builder stages on the host: prepend steps, galaxy install, introspection."""
    _root, context = build_context
    definition = yaml.safe_load((context.parent / 'docs' / 'ee' / 'execution-environment.yml').read_text())
    requirements = yaml.safe_load((context / '_build' / 'requirements.yml').read_text())
    [entry] = requirements['collections']
    image_dir = os.path.dirname(entry['name'])
    host_dir = tmp_path / 'image' / image_dir.lstrip('/')

    # The two prepend_galaxy lines, with the container directory mapped onto a host directory.
    copy_line, run_line = definition['additional_build_steps']['prepend_galaxy']
    src = copy_line.split()[1]
    assert copy_line.split()[2].rstrip('/') == image_dir
    shutil.copytree(context / src, host_dir)
    assert run_line.startswith('RUN ')
    _run(['bash', '-c', run_line[4:].replace(image_dir, str(host_dir))])

    host_requirements = tmp_path / 'requirements.yml'
    host_requirements.write_text(yaml.safe_dump(
        {'collections': [dict(entry, name=entry['name'].replace(image_dir, str(host_dir)))]}))
    collections = tmp_path / 'collections'
    _run([_tool('ansible-galaxy'), 'collection', 'install', '--offline', '-r', str(host_requirements),
          '-p', str(collections)])
    assert (collections / 'ansible_collections' / 'w365' / 'cloudpc' / 'meta' / 'execution-environment.yml').is_file()

    pip_out, bindep_out = tmp_path / 'pip.txt', tmp_path / 'bindep.txt'
    _run([sys.executable, str(context / '_build' / 'scripts' / 'introspect.py'), 'introspect',
          f'--write-pip={pip_out}', f'--write-bindep={bindep_out}', str(collections)])
    strip = re.compile(r'\s*# from collection w365\.cloudpc$')
    assert sorted(strip.sub('', line) for line in _requirement_lines(pip_out)) == \
        sorted(_requirement_lines(REPO / 'requirements.txt'))
    assert all(strip.search(line) for line in _requirement_lines(pip_out))
    assert sorted(strip.sub('', line) for line in _requirement_lines(bindep_out)) == \
        sorted(_requirement_lines(REPO / 'bindep.txt'))
