# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout run the way AWX runs a job: `ansible-runner run` on a private data directory laid out as AWX lays it.

AWX (`awx/main/tasks/jobs.py`, `RunJob`) builds, per job, a fresh directory with `project/` (a copy of the project),
`inventory/hosts` (an executable script printing the inventory as JSON), `env/extravars` (AWX's meta variables plus
the template's variables and survey answers, as `!unsafe` YAML), `env/cmdline` (`-u root`, forks, and one
`-e @file` per credential with extra_vars injectors), the credential files written by file injectors under `env/`,
and hands ansible-runner the environment (`envvars`, credential env injectors included), the password prompts
(`passwords`) and `settings`. Here those last three are files (`env/envvars`, `env/passwords`, `env/settings`), the
form `ansible-runner run` reads, and the job runs without a container, so a file's path in the job is its host path
and the collection comes from .build/collections where the execution environment has /usr/share/ansible/collections.
Credentials are applied with the same injector logic AWX uses (tests/unit/test_awx_credential_types.py).
"""
from __future__ import annotations

import copy
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.unit.test_awx_credential_types import awx_safe_dump, builtin_azure_rm, inject_credential, load_credential_type
from tests.unit.test_awx_job_template import load_template, survey_defaults

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
COLLECTIONS = REPO / '.build' / 'collections'
ROLLOUT_SEED = REPO / 'tests' / 'integration' / 'seeds' / 'rollout.yml'

CONTOSO, FABRIKAM = 'contoso', 'fabrikam'
FABRIKAM_USER = 'automation@fabrikam.onmicrosoft.com'
FABRIKAM_USER_PASSWORD = 'Fabrikam-delegated-Passw0rd-never-shown'
FABRIKAM_USER_OBJECT_ID = '7e000002-0000-4000-8000-00000000a5e1'

# AWX's RunJob.get_password_prompts (no machine or vault credential on the template: every answer is empty).
BECOME_METHODS = ('sudo', 'su', 'pbrun', 'pfexec', 'dzdo', 'pmrun', 'runas', 'enable', 'doas', 'ksu', 'machinectl',
                  'sesu')
PASSWORD_PROMPTS = [r'Enter passphrase for .*:\s*?$', r'Bad passphrase, try again for .*:\s*?$']
PASSWORD_PROMPTS += [r'%s password.*:\s*?$' % m for name in BECOME_METHODS for m in (name, name.upper())]
PASSWORD_PROMPTS += [r'BECOME password.*:\s*?$', r'SSH password:\s*?$', r'Password:\s*?$', r'Vault password:\s*?$']

pytestmark = pytest.mark.slow

JWT = re.compile(r'eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}')


FEDERATION = {'issuer': 'https://awx.example.com/oidc', 'subject': 'system:serviceaccount:awx:w365-rollout'}
CERTIFICATE_PASSWORD = 'Contoso-key-passphrase-never-shown'


def _certificate():
    """A self-signed certificate and its encrypted private key, as an app registration would hold."""
    from tests.helpers.certs import make_certificate

    certificate = make_certificate('w365-rollout')
    return certificate.cert_pem, certificate.key_pem(CERTIFICATE_PASSWORD)


def _federated_token(tenant_id, client_id):
    """An OIDC token as an external issuer would hand out (the sandbox matches issuer/subject/audience only)."""
    import base64
    import time

    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b'=').decode()

    now = int(time.time())
    claims = {**{'iss': FEDERATION['issuer'], 'sub': FEDERATION['subject']}, 'aud': 'api://AzureADTokenExchange',
              'iat': now, 'nbf': now, 'exp': now + 3600, 'jti': f'{tenant_id}-{client_id}'}
    return f"{part({'alg': 'RS256', 'typ': 'JWT', 'kid': 'awx'})}.{part(claims)}.{part({'sig': 'external-issuer'})}"


def _seed():
    """The rollout seed without its deliberately broken tenant, plus a user in fabrikam for delegated sign-in, a
    certificate on contoso's app and a federated credential on fabrikam's."""
    seed = yaml.safe_load(ROLLOUT_SEED.read_text())
    seed['tenants'] = [t for t in seed['tenants'] if t['domain'].split('.')[0] in (CONTOSO, FABRIKAM)]
    fabrikam = next(t for t in seed['tenants'] if t['domain'].startswith(FABRIKAM))
    fabrikam.setdefault('users', []).append(
        {'upn': FABRIKAM_USER, 'object_id': FABRIKAM_USER_OBJECT_ID, 'password': FABRIKAM_USER_PASSWORD})
    subscription = fabrikam['subscriptions'][0]['id']
    fabrikam['role_assignments'].append(
        {'principal_id': FABRIKAM_USER_OBJECT_ID, 'role': 'Owner', 'scope': f'/subscriptions/{subscription}'})
    fabrikam['apps'][0]['federated_credentials'] = [dict(FEDERATION)]
    cert_pem, key_pem = _certificate()
    contoso = next(t for t in seed['tenants'] if t['domain'].startswith(CONTOSO))
    contoso['apps'][0]['certificate'] = cert_pem
    seed['_contoso_key_and_certificate'] = key_pem + cert_pem  # for the credential; removed before the sandbox
    return seed


def _tenant(seed, key):
    return next(t for t in seed['tenants'] if t['domain'].startswith(key))


def _app(seed, key):
    return _tenant(seed, key)['apps'][0]


def _secrets(seed):
    values = [app['secret'] for t in seed['tenants'] for app in t.get('apps', []) if app.get('secret')]
    values += [user['password'] for t in seed['tenants'] for user in t.get('users', [])]
    return values


def _inventory(seed, sandbox, tenants, *, tenant_id_in_inventory=True, lean=False):
    """The project's inventory source: one host per tenant and region, no secret in it (credentials bring them).
    lean: one region and no image per tenant, for jobs that only need to prove the sign-in."""
    hosts, groups, host_vars = {}, {}, {}
    for key in tenants:
        tenant = _tenant(seed, key)
        subscription = tenant['subscriptions'][0]
        group = {'w365_tenant': key, 'w365_auth': {'tenant_id': tenant['id']} if tenant_id_in_inventory else {}}
        image_rg = next(rg for rg in subscription['resource_groups'] if rg.get('images'))
        group['w365_images'] = [] if lean else [{
            'name': f'{key} golden', 'version': '1.0.0',
            'source_image_id': f"/subscriptions/{subscription['id']}/resourceGroups/{image_rg['name']}"
                               f"/providers/Microsoft.Compute/images/{image_rg['images'][0]['name']}"}]
        members = {}
        network_groups = [rg for rg in subscription['resource_groups'] if rg.get('virtual_networks')]
        for rg in network_groups[:1] if lean else network_groups:
            for vnet in rg['virtual_networks']:
                host = f"{key}_{rg['location']}"
                members[host] = None
                host_vars[host] = {
                    'w365_region': rg['location'],
                    'w365_network_connection': {
                        'name': f"anc-{key}-{rg['location']}", 'join_type': 'entra_join',
                        'subscription_id': subscription['id'], 'resource_group': rg['name'],
                        'virtual_network': vnet['name'], 'subnet': vnet['subnets'][0]['name'],
                        'planned_cloud_pcs': 10}}
        groups[f'tenant_{key}'] = {'hosts': members, 'vars': group}
        hosts.update(members)
    return {
        'all': {
            'vars': {
                'ansible_connection': 'local',
                'ansible_python_interpreter': '{{ ansible_playbook_python }}',
                # Where the sandbox is: endpoints and its CA, not credentials.
                'w365_auth_common': {'authority_host': sandbox.url, 'graph_endpoint': sandbox.url,
                                     'arm_endpoint': sandbox.url, 'ca_bundle': sandbox.ca_bundle},
                'w365_wait_timeout': 600,
            },
            'children': {'w365_tenants': {'children': groups}},
        },
    }, host_vars


class AwxJob:
    """One AWX job: a fresh private data directory, credentials applied, then `ansible-runner run`."""

    def __init__(self, root: Path, job_id: int, seed, sandbox, tenants, credentials, *,
                 tenant_id_in_inventory=True, builtin_azure=None, lean=False, job_type='run', verbosity=0):
        self.job_id = job_id
        self.pdd = root / f'awx_job_{job_id}_'
        self.secrets = _secrets(seed)
        self.report_dir = self.pdd / 'report'
        self.job_type, self.verbosity = job_type, verbosity
        self._build(seed, sandbox, tenants, credentials, tenant_id_in_inventory, builtin_azure, lean)

    # AWX's BaseTask.build_private_data_dir, RunJob.pre_run_hook (project copy) and build_inventory
    def _build(self, seed, sandbox, tenants, credentials, tenant_id_in_inventory, builtin_azure, lean):
        pdd = self.pdd
        pdd.mkdir(mode=0o700)
        for sub in ('project', 'inventory', 'env'):
            (pdd / sub).mkdir()
        shutil.copytree(REPO / 'playbooks', pdd / 'project' / 'playbooks',
                        ignore=shutil.ignore_patterns('inventory'))
        source = pdd / 'project' / 'inventory' / 'awx_sandbox'
        (source / 'host_vars').mkdir(parents=True)
        inventory, host_vars = _inventory(seed, sandbox, tenants, tenant_id_in_inventory=tenant_id_in_inventory,
                                          lean=lean)
        (source / 'hosts.yml').write_text(yaml.safe_dump(inventory, sort_keys=False))
        for host, data in host_vars.items():
            (source / 'host_vars' / f'{host}.yml').write_text(yaml.safe_dump(data, sort_keys=False))
        self.hosts = sorted(host_vars)
        self.inventory_script = self._inventory_script(source)

        # RunJob.build_extra_vars_file: AWX meta variables, the template's extra vars (trusted: plain YAML) and the
        # survey answers (the shipped survey's defaults; !unsafe like every other value).
        template = load_template()
        template_vars = template.get('extra_vars') or {}
        answers = {**survey_defaults(), 'w365_report_dir': str(self.report_dir)}
        extra_vars = {
            'awx_job_id': self.job_id, 'tower_job_id': self.job_id, 'awx_job_launch_type': 'manual',
            'tower_job_launch_type': 'manual', 'awx_job_template_id': 11, 'tower_job_template_id': 11,
            'awx_job_template_name': template['name'], 'tower_job_template_name': template['name'],
            'awx_user_id': 1, 'awx_user_name': 'admin', 'tower_user_id': 1, 'tower_user_name': 'admin',
            'awx_inventory_id': 7, 'awx_inventory_name': template['inventory'], 'awx_project_revision': 'HEAD',
            'awx_execution_node': 'awx-task', **template_vars, **answers}
        self._write_private(pdd / 'env' / 'extravars', awx_safe_dump(extra_vars, template_vars), stat.S_IRUSR)

        # RunJob.build_args, then each credential's injectors (env, files, extra-vars files)
        args = ['--check'] if self.job_type == 'check' else []
        args += ['-u', 'root', f"--forks={template['forks']}"]
        if self.verbosity:
            args.append('-' + 'v' * min(5, self.verbosity))
        env = {
            'AWX_PRIVATE_DATA_DIR': str(pdd), 'JOB_ID': str(self.job_id), 'INVENTORY_ID': '7',
            'PROJECT_REVISION': 'HEAD', 'ANSIBLE_RETRY_FILES_ENABLED': 'False', 'MAX_EVENT_RES': '700000',
            'AWX_HOST': 'https://awx.example.com', 'ANSIBLE_SSH_CONTROL_PATH_DIR': str(pdd / 'cp'),
            # requirements_collections would hold the project's collections; COLLECTIONS stands for the
            # execution environment's /usr/share/ansible/collections, where the image installed w365.cloudpc.
            'ANSIBLE_COLLECTIONS_PATH': f"{pdd / 'requirements_collections'}:~/.ansible/collections:{COLLECTIONS}",
            'ANSIBLE_ROLES_PATH': f"{pdd / 'requirements_roles'}:~/.ansible/roles:/usr/share/ansible/roles",
        }
        (pdd / 'cp').mkdir(mode=0o700)
        safe_env = {}
        for definition, inputs in credentials:
            inject_credential(definition, inputs, str(pdd), env, safe_env, args)
        if builtin_azure is not None:
            builtin_azure_rm(builtin_azure, env)
        self._write_private(pdd / 'env' / 'cmdline', ' '.join(args), stat.S_IRUSR)
        self._write_private(pdd / 'env' / 'envvars', json.dumps(env), stat.S_IRUSR)
        self._write_private(pdd / 'env' / 'passwords', json.dumps({p: '' for p in PASSWORD_PROMPTS}), stat.S_IRUSR)
        self._write_private(pdd / 'env' / 'settings', json.dumps(
            {'job_timeout': 0, 'suppress_ansible_output': True, 'suppress_output_file': True}), stat.S_IRUSR)

    @staticmethod
    def _write_private(path, text, mode):
        path.write_text(text)
        os.chmod(path, mode)

    def _inventory_script(self, source):
        """AWX imports the project's inventory source, then writes it back per job as a script printing JSON."""
        proc = subprocess.run([str(VENV_BIN / 'ansible-inventory'), '-i', str(source), '--list', '--export'],
                              capture_output=True, text=True, check=True, env=self._process_env(), timeout=120)
        data = json.loads(proc.stdout)
        for hostvars in data.get('_meta', {}).get('hostvars', {}).values():
            hostvars['remote_tower_enabled'] = 'true'  # towervars=True; remote_tower_id is popped by AWX
        script = self.pdd / 'inventory' / 'hosts'
        with open(script, 'w') as handle:
            os.chmod(script, stat.S_IRUSR | stat.S_IXUSR | stat.S_IWUSR)
            handle.write('#! /usr/bin/env python3\n# -*- coding: utf-8 -*-\nprint(%r)\n' % json.dumps(data))
        return script

    @staticmethod
    def _process_env():
        """What the runner process inherits: nothing Azure from this machine, the tools of the EE on PATH."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(('AZURE_', 'ANSIBLE_', 'MSI_', 'IDENTITY_'))
               and k not in ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'SSL_CERT_FILE')}
        env['PATH'] = f"{VENV_BIN}:{env.get('PATH', '/usr/bin:/bin')}"
        return env

    def run(self, playbook='playbooks/rollout.yml'):
        proc = subprocess.run(
            [str(VENV_BIN / 'ansible-runner'), 'run', str(self.pdd), '-p', playbook,
             '--ident', str(self.job_id), '--inventory', str(self.inventory_script)],
            capture_output=True, text=True, env=self._process_env(), timeout=900, check=False)
        self.runner_output = proc.stdout + proc.stderr
        self.artifacts = self.pdd / 'artifacts' / str(self.job_id)
        self.events = [json.loads(p.read_text()) for p in sorted(
            (self.artifacts / 'job_events').glob('*.json'), key=lambda p: int(p.name.split('-', 1)[0]))]
        self.status = (self.artifacts / 'status').read_text().strip() if (self.artifacts / 'status').exists() else None
        return self

    # -- reading the job the way AWX shows it --------------------------------------------------------------------
    @property
    def stdout(self):
        return '\n'.join(e.get('stdout', '') for e in self.events if e.get('stdout'))

    @property
    def stats(self):
        return next(e['event_data'] for e in self.events if e['event'] == 'playbook_on_stats')

    def module_results(self, module):
        return [e['event_data'] for e in self.events
                if e['event'] == 'runner_on_ok' and e['event_data'].get('resolved_action', '').endswith(module)]

    def assert_successful(self):
        assert self.status == 'successful', f'job {self.job_id} {self.status}:\n{self.stdout[-6000:]}\n{self.runner_output[-3000:]}'
        stats = self.stats
        assert not stats.get('failures') and not stats.get('dark'), stats
        assert set(stats['ok']) >= set(self.hosts), stats

    def assert_no_secret_kept(self, extra=(), expect_report=True):
        """Nothing AWX keeps from a job (events, artifacts but the runner's own command file, the report) holds a
        secret. artifacts/<ident>/command holds the runner's whole input environment and AWX does not keep it."""
        secrets = [s for s in (*self.secrets, *extra) if s]
        kept = [p for p in self.artifacts.rglob('*') if p.is_file() and p.name != 'command']
        kept += [p for p in self.report_dir.rglob('*') if p.is_file()]
        assert any(p.parent.name == 'job_events' for p in kept)
        assert self.report_dir.joinpath('rollout.json').is_file() or not expect_report
        for path in kept:
            text = path.read_text(errors='replace')
            for secret in secrets:
                assert secret not in text, f'a secret is in {path.relative_to(self.pdd)}'
            assert not JWT.search(text), f'a token is in {path.relative_to(self.pdd)}'
            assert 'Bearer ' not in text, f'an authorization header is in {path.relative_to(self.pdd)}'


@pytest.fixture
def seed():
    return _seed()


@pytest.fixture
def awx_job(tmp_path, sandbox_factory, seed):
    world = copy.deepcopy(seed)
    world.pop('_contoso_key_and_certificate')
    sandbox = sandbox_factory(world, time_scale=240)
    counter = {'next': 100}

    def make(tenants, credentials=(), **kwargs):
        counter['next'] += 1
        return AwxJob(tmp_path, counter['next'], seed, sandbox, tenants, list(credentials), **kwargs)

    make.sandbox = sandbox
    return make


def _auth_methods(job, module='w365_anc'):
    return {r['host']: r['res'].get('auth_method') for r in job.module_results(module)}


def test_two_tenants_through_the_tenant_map_credential(awx_job, seed):
    contoso, fabrikam = _app(seed, CONTOSO), _tenant(seed, FABRIKAM)
    tenant_map = yaml.safe_dump({
        CONTOSO: {'tenant_id': _tenant(seed, CONTOSO)['id'], 'client_id': contoso['client_id'],
                  'client_secret': contoso['secret']},
        FABRIKAM: {'tenant_id': fabrikam['id'], 'auth_method': 'username_password', 'username': FABRIKAM_USER,
                   'password': FABRIKAM_USER_PASSWORD},
    })
    credential = (load_credential_type('w365_tenant_map'), {'tenants': tenant_map})

    first = awx_job([CONTOSO, FABRIKAM], [credential]).run()
    first.assert_successful()
    assert '@' + str(first.pdd / 'env') in (first.pdd / 'env' / 'cmdline').read_text()
    assert sum(first.stats['changed'].values()) > 0
    methods = _auth_methods(first)
    assert {h: m for h, m in methods.items() if h.startswith(CONTOSO)} == {
        h: 'client_secret' for h in first.hosts if h.startswith(CONTOSO)}
    assert {h: m for h, m in methods.items() if h.startswith(FABRIKAM)} == {
        h: 'username_password' for h in first.hosts if h.startswith(FABRIKAM)}
    state = json.dumps(awx_job.sandbox.state())
    for host in first.hosts:
        tenant, region = host.split('_', 1)
        assert f'anc-{tenant}-{region}' in state
    first.assert_no_secret_kept(extra=[tenant_map])

    awx_job.sandbox.clear_requests()
    second = awx_job([CONTOSO, FABRIKAM], [credential]).run()
    second.assert_successful()
    assert set(second.stats['changed'].values()) <= {0}, second.stats['changed']
    assert awx_job.sandbox.writes() == []
    second.assert_no_secret_kept(extra=[tenant_map])


def test_builtin_azure_resource_manager_credential_app(awx_job, seed):
    """AWX's managed Azure credential with client and tenant filled in: AZURE_CLIENT_ID, AZURE_TENANT, AZURE_SECRET."""
    app, tenant = _app(seed, CONTOSO), _tenant(seed, CONTOSO)
    inputs = {'subscription': tenant['subscriptions'][0]['id'], 'client': app['client_id'], 'tenant': tenant['id'],
              'secret': app['secret'], 'cloud_environment': 'AzureCloud'}
    job = awx_job([CONTOSO], builtin_azure=inputs, tenant_id_in_inventory=False, lean=True)
    envvars = json.loads((job.pdd / 'env' / 'envvars').read_text())
    assert {'AZURE_CLIENT_ID', 'AZURE_TENANT', 'AZURE_SECRET', 'AZURE_CLOUD_ENVIRONMENT'} <= set(envvars)
    job.run()
    job.assert_successful()
    assert set(_auth_methods(job).values()) == {'client_secret'}
    job.assert_no_secret_kept()


def test_builtin_azure_resource_manager_credential_user(awx_job, seed):
    """The same credential with a user instead: AZURE_AD_USER and AZURE_PASSWORD and no tenant (AWX injects none
    in this case, so the inventory names it) nor cloud environment."""
    tenant = _tenant(seed, FABRIKAM)
    inputs = {'subscription': tenant['subscriptions'][0]['id'], 'username': FABRIKAM_USER,
              'password': FABRIKAM_USER_PASSWORD}
    job = awx_job([FABRIKAM], builtin_azure=inputs, lean=True)
    envvars = json.loads((job.pdd / 'env' / 'envvars').read_text())
    assert {'AZURE_AD_USER', 'AZURE_PASSWORD'} <= set(envvars) and 'AZURE_TENANT' not in envvars
    job.run()
    job.assert_successful()
    assert set(_auth_methods(job).values()) == {'username_password'}
    job.assert_no_secret_kept()


def test_single_tenant_custom_credential_type(awx_job, seed):
    """The 'Windows 365 tenant' type: env injectors only, unused fields injected as empty strings."""
    app, tenant = _app(seed, CONTOSO), _tenant(seed, CONTOSO)
    inputs = {'tenant_id': tenant['id'], 'client_id': app['client_id'], 'client_secret': app['secret'],
              'cloud': 'public'}
    job = awx_job([CONTOSO], [(load_credential_type('w365_tenant'), inputs)], tenant_id_in_inventory=False,
                  lean=True).run()
    envvars = json.loads((job.pdd / 'env' / 'envvars').read_text())
    assert envvars['AZURE_USERNAME'] == '' and envvars['AZURE_CLIENT_SECRET'] == app['secret']
    job.assert_successful()
    assert set(_auth_methods(job).values()) == {'client_secret'}
    job.assert_no_secret_kept()


def test_the_secret_check_sees_a_leak_in_job_events(awx_job, seed):
    """A job that prints the tenant map must be caught, or the checks above prove nothing."""
    app = _app(seed, CONTOSO)
    tenant_map = yaml.safe_dump({CONTOSO: {'client_id': app['client_id'], 'client_secret': app['secret']}})
    job = awx_job([CONTOSO], [(load_credential_type('w365_tenant_map'), {'tenants': tenant_map})], lean=True)
    (job.pdd / 'project' / 'playbooks' / 'leak.yml').write_text(yaml.safe_dump([{
        'name': 'Careless play', 'hosts': 'localhost', 'gather_facts': False,
        'tasks': [{'name': 'Print the map', 'ansible.builtin.debug': {'var': 'w365_tenant_credentials'}}]}]))
    job.run('playbooks/leak.yml')
    assert job.status == 'successful', job.stdout
    with pytest.raises(AssertionError, match='a secret is in artifacts/.*/job_events/'):
        job.assert_no_secret_kept(expect_report=False)


def test_certificate_and_workload_identity_credential_types(awx_job, seed):
    """The file-injector types: the PEM (encrypted key) and the federated token reach the modules as private files."""
    contoso_app, contoso = _app(seed, CONTOSO), _tenant(seed, CONTOSO)
    pem = seed['_contoso_key_and_certificate']
    certificate = (load_credential_type('w365_tenant_certificate'), {
        'tenant_id': contoso['id'], 'client_id': contoso_app['client_id'], 'certificate': pem,
        'certificate_password': CERTIFICATE_PASSWORD, 'cloud': 'public'})
    job = awx_job([CONTOSO], [certificate], tenant_id_in_inventory=False, lean=True)
    envvars = json.loads((job.pdd / 'env' / 'envvars').read_text())
    assert Path(envvars['AZURE_CLIENT_CERTIFICATE_PATH']).read_text() == pem
    job.run()
    job.assert_successful()
    assert set(_auth_methods(job).values()) == {'client_certificate'}
    job.assert_no_secret_kept(extra=[CERTIFICATE_PASSWORD, pem.split('-----')[2].strip()[:64]])

    fabrikam_app, fabrikam = _app(seed, FABRIKAM), _tenant(seed, FABRIKAM)
    token = _federated_token(fabrikam['id'], fabrikam_app['client_id'])
    federated = (load_credential_type('w365_tenant_workload_identity'), {
        'tenant_id': fabrikam['id'], 'client_id': fabrikam_app['client_id'], 'federated_token': token})
    job = awx_job([FABRIKAM], [federated], tenant_id_in_inventory=False, lean=True).run()
    job.assert_successful()
    assert set(_auth_methods(job).values()) == {'workload_identity'}
    job.assert_no_secret_kept(extra=[token])


def test_check_job_at_verbosity_3_sends_no_write_and_keeps_no_secret(awx_job, seed):
    """Job type Check, verbosity 3 (module arguments and connection details in the output): nothing is written,
    and the tenant map's secrets still appear nowhere."""
    contoso, fabrikam = _app(seed, CONTOSO), _tenant(seed, FABRIKAM)
    tenant_map = json.dumps({
        CONTOSO: {'tenant_id': _tenant(seed, CONTOSO)['id'], 'client_id': contoso['client_id'],
                  'client_secret': contoso['secret']},
        FABRIKAM: {'tenant_id': fabrikam['id'], 'auth_method': 'username_password', 'username': FABRIKAM_USER,
                   'password': FABRIKAM_USER_PASSWORD}})
    credential = (load_credential_type('w365_tenant_map'), {'tenants': tenant_map})
    awx_job.sandbox.clear_requests()
    job = awx_job([CONTOSO, FABRIKAM], [credential], lean=True, job_type='check', verbosity=3).run()
    job.assert_successful()
    assert (job.pdd / 'env' / 'cmdline').read_text().startswith('--check ')
    assert awx_job.sandbox.writes() == []
    assert any(r['res'].get('changed') for r in job.module_results('w365_anc')), 'check mode predicts the creation'
    job.assert_no_secret_kept(extra=[tenant_map])
