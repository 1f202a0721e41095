# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shipped AWX custom credential types, held to the rules AWX applies when one is created.

AWX validates a custom credential type in `awx/main/fields.py` (`CredentialTypeInputField`,
`CredentialTypeInjectorField`) and the credential-type serializer, and applies it to a job in
`CredentialType.inject_credential` (`awx/main/models/credential/__init__.py`). Both are re-implemented below, rule by
rule, because AWX itself (Django, a database) cannot run in a unit test; the integration tests in
`tests/integration/test_awx_runner.py` reuse `inject_credential` to lay out jobs exactly as AWX does.
Nested `extra_vars` injectors follow AWX >= 21.10 (ansible/awx#13267); the shipped types use only top-level keys
that are plain variable names, so they also load into older AWX.
"""
from __future__ import annotations

import copy
import os
import re
import stat
import tempfile
from pathlib import Path

import pytest
import yaml
from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jsonschema import Draft4Validator

REPO = Path(__file__).resolve().parents[2]
CREDENTIAL_TYPES = sorted((REPO / 'awx' / 'credential_types').glob('*.yml'))

VARIABLE_NAME = r'^[a-zA-Z_]+[a-zA-Z0-9_]*$'

# awx/main/fields.py CredentialTypeInputField.schema
INPUTS_SCHEMA = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'required': {'type': 'array', 'items': {'type': 'string'}},
        'fields': {
            'type': 'array',
            'items': {
                'type': 'object',
                'properties': {
                    'type': {'enum': ['string', 'boolean']},
                    'format': {'enum': ['ssh_private_key', 'url']},
                    'choices': {'type': 'array', 'minItems': 1, 'items': {'type': 'string'}, 'uniqueItems': True},
                    'id': {'type': 'string', 'pattern': VARIABLE_NAME},
                    'label': {'type': 'string'},
                    'help_text': {'type': 'string'},
                    'multiline': {'type': 'boolean'},
                    'secret': {'type': 'boolean'},
                    'ask_at_runtime': {'type': 'boolean'},
                    'default': {},
                },
                'additionalProperties': False,
                'required': ['id', 'label'],
            },
        },
    },
}

# awx/main/fields.py CredentialTypeInjectorField.schema (extra_vars values nested since ansible/awx#13267)
INJECTORS_SCHEMA = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'file': {
            'type': 'object',
            'patternProperties': {r'^template(\.[a-zA-Z_]+[a-zA-Z0-9_]*)?$': {'type': 'string'}},
            'additionalProperties': False,
        },
        'env': {
            'type': 'object',
            # pexpect chokes on non-ASCII environment values
            'patternProperties': {VARIABLE_NAME: {'type': 'string', 'pattern': '^[\x00-\x7F]*$'}},
            'additionalProperties': False,
        },
        'extra_vars': {
            'type': 'object',
            'patternProperties': {
                VARIABLE_NAME: {'anyOf': [{'type': 'string'}, {'type': 'array'}, {'$ref': '#/properties/extra_vars'}]},
            },
            'additionalProperties': False,
        },
    },
}

# awx/main/constants.py ENV_BLOCKLIST
ENV_BLOCKLIST = frozenset((
    'VIRTUAL_ENV', 'PATH', 'PYTHONPATH', 'JOB_ID', 'INVENTORY_ID', 'INVENTORY_SOURCE_ID', 'INVENTORY_UPDATE_ID',
    'AD_HOC_COMMAND_ID', 'REST_API_URL', 'REST_API_TOKEN', 'MAX_EVENT_RES', 'CALLBACK_QUEUE', 'CALLBACK_CONNECTION',
    'CACHE', 'JOB_CALLBACK_DEBUG', 'INVENTORY_HOSTVARS', 'AWX_HOST', 'PROJECT_REVISION', 'SUPERVISOR_CONFIG_PATH',
))

# The credential-type serializer only lets users create these kinds; the others are AWX-managed.
CUSTOM_KINDS = ('cloud', 'net')
# Parameters of the awx.awx.credential_type module, i.e. what a definition file may carry.
DEFINITION_KEYS = {'name', 'description', 'kind', 'inputs', 'injectors'}


class CredentialTypeError(ValueError):
    """What AWX answers with HTTP 400 when the credential type is created."""


def _defined_fields(inputs):
    return [field['id'] for field in inputs.get('fields', [])]


def validate_inputs(inputs):
    """CredentialTypeInputField.validate for a custom (not AWX-managed) type."""
    if isinstance(inputs, dict) and 'dependencies' in inputs:
        raise CredentialTypeError("'dependencies' is not supported for custom credentials.")
    errors = sorted(Draft4Validator(INPUTS_SCHEMA).iter_errors(inputs), key=str)
    if errors:
        raise CredentialTypeError(f'inputs: {errors[0].message} at {list(errors[0].absolute_path)}')
    ids = set()
    for field in inputs.get('fields', []):
        id_ = field['id']
        if id_ == 'tower':
            raise CredentialTypeError('"tower" is a reserved field name')
        if id_ in ids:
            raise CredentialTypeError(f'field IDs must be unique ({id_})')
        ids.add(id_)
        field_type = field.get('type', 'string')
        if 'default' in field:
            expected = {'string': str, 'boolean': bool}[field_type]
            if not isinstance(field['default'], expected):
                raise CredentialTypeError(f"{field['default']} is not a {field_type}")
        for key in ('choices', 'multiline', 'format', 'secret'):
            if key in field and field_type != 'string':
                raise CredentialTypeError(f'{key} not allowed for {field_type} type ({id_})')


class _ExplodingNamespace:
    def __str__(self):
        raise UndefinedError('Must define unnamed file injector in order to reference `tower.filename`.')


class _TowerNamespace:
    def __init__(self):
        self.filename = _ExplodingNamespace()

    def __str__(self):
        raise UndefinedError('Cannot directly reference reserved `tower` namespace container.')


def _render_check(type_, key, template, namespace):
    try:
        ImmutableSandboxedEnvironment(undefined=StrictUndefined).from_string(template).render(namespace)
    except UndefinedError as exc:
        raise CredentialTypeError(f'{key} uses an undefined field ({exc})') from exc
    except SecurityError as exc:
        raise CredentialTypeError(f'Encountered unsafe code execution: {exc}') from exc
    except TemplateSyntaxError as exc:
        raise CredentialTypeError(f'Syntax error rendering template for {key} inside of {type_} ({exc})') from exc


def validate_injectors(injectors, inputs):
    """CredentialTypeInjectorField.validate: schema, env names, and every template renders from declared inputs."""
    errors = sorted(Draft4Validator(INJECTORS_SCHEMA).iter_errors(injectors), key=str)
    if errors:
        raise CredentialTypeError(f'injectors: {errors[0].message} at {list(errors[0].absolute_path)}')
    namespace = {field: 'EXAMPLE' for field in _defined_fields(inputs)}
    namespace['tower'] = _TowerNamespace()
    template_names = [name for name in injectors.get('file', {}) if name.startswith('template')]
    if 'template' in template_names:
        namespace['tower'].filename = 'EXAMPLE_FILENAME'
        if len(template_names) > 1:
            raise CredentialTypeError('Must use multi-file syntax when injecting multiple files')
    else:
        for name in template_names:
            setattr(namespace['tower'].filename, name.split('.')[1], 'EXAMPLE_FILENAME')

    def check_extra_vars(key, node):
        if isinstance(node, dict):
            for sub_key, value in node.items():
                _render_check('extra_vars', 'a key' if key is None else key, sub_key, namespace)
                check_extra_vars(sub_key if key is None else f'{key}.{sub_key}', value)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                check_extra_vars(f'{key}[{index}]', value)
        else:
            _render_check('extra_vars', key, node, namespace)

    for type_, injector in injectors.items():
        if type_ == 'env':
            for env_var in injector:
                if env_var.startswith('ANSIBLE_'):
                    raise CredentialTypeError(f'Environment variable {env_var} may affect Ansible configuration so '
                                              'its use is not allowed in credentials.')
                if env_var in ENV_BLOCKLIST:
                    raise CredentialTypeError(f'Environment variable {env_var} is not allowed to be used in credentials.')
        if type_ == 'extra_vars':
            check_extra_vars(None, injector)
        else:
            for key, template in injector.items():
                _render_check(type_, key, template, namespace)


def validate_credential_type(definition):
    """Everything AWX checks when a custom credential type is POSTed, in the same order."""
    unknown = set(definition) - DEFINITION_KEYS
    if unknown:
        raise CredentialTypeError(f'unknown keys {sorted(unknown)}')
    if not isinstance(definition.get('name'), str) or not definition['name'].strip():
        raise CredentialTypeError('name: This field is required.')
    if definition.get('kind') not in CUSTOM_KINDS:
        raise CredentialTypeError(f"Must be 'cloud' or 'net', not {definition.get('kind')}")
    inputs = definition.get('inputs', {})
    validate_inputs(inputs)
    validate_injectors(definition.get('injectors', {}), inputs)


# ---- applying a credential to a job (CredentialType.inject_credential) ----

class _UnsafeStringDumper(yaml.SafeDumper):
    """awx/main/utils/safe_yaml.py: every string AWX writes into an extra-vars file is tagged !unsafe."""

    def represent_data(self, data):
        if isinstance(data, str):
            return self.represent_scalar('!unsafe', data)
        return super().represent_data(data)


def awx_safe_dump(data, safe_dict=None):
    """awx/main/utils/safe_yaml.safe_dump: top-level values not identical in `safe_dict` are dumped as !unsafe."""
    safe_dict = safe_dict or {}
    chunks = []
    for key, value in data.items():
        dumper = yaml.SafeDumper if key in safe_dict and safe_dict[key] == value else _UnsafeStringDumper
        chunks.append(yaml.dump_all([{key: value}], None, Dumper=dumper, default_flow_style=False))
    return ''.join(chunks)


def inject_credential(definition, credential_inputs, private_data_dir, env, safe_env, args):
    """CredentialType.inject_credential for a custom type, with the job running in the private data directory itself
    (no container, so a file's path in the job is its host path rather than /runner/...)."""
    injectors = definition.get('injectors') or {}
    fields = definition.get('inputs', {}).get('fields', [])
    secret_fields = {field['id'] for field in fields if field.get('secret')}

    class TowerNamespace:
        pass

    tower = TowerNamespace()
    namespace, safe_namespace = {'tower': tower}, {'tower': tower}
    for name, value in credential_inputs.items():
        if isinstance(value, bool):
            namespace[name] = safe_namespace[name] = value
            continue
        if name in secret_fields:
            safe_namespace[name] = '**********'
        elif len(value):
            safe_namespace[name] = value
        if len(value):
            namespace[name] = value
    for field in fields:
        if field.get('type') == 'boolean' and field['id'] not in credential_inputs:
            namespace[field['id']] = safe_namespace[field['id']] = False

    sandbox = ImmutableSandboxedEnvironment()
    for label, template in injectors.get('file', {}).items():
        data = sandbox.from_string(template).render(**namespace)
        handle, path = tempfile.mkstemp(dir=os.path.join(private_data_dir, 'env'))
        with os.fdopen(handle, 'w', encoding='utf-8') as stream:
            stream.write(data)
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        if '.' not in label:
            tower.filename = path
        else:
            if not hasattr(tower, 'filename'):
                tower.filename = TowerNamespace()
            setattr(tower.filename, label.split('.')[1], path)

    for env_var, template in injectors.get('env', {}).items():
        if env_var.startswith('ANSIBLE_') or env_var in ENV_BLOCKLIST:
            continue  # AWX logs and skips a prohibited variable
        env[env_var] = sandbox.from_string(template).render(**namespace)
        safe_env[env_var] = sandbox.from_string(template).render(**safe_namespace)

    def build_extra_vars(node):
        if isinstance(node, dict):
            return {build_extra_vars(k): build_extra_vars(v) for k, v in node.items()}
        if isinstance(node, list):
            return [build_extra_vars(x) for x in node]
        return sandbox.from_string(node).render(**namespace)

    extra_vars = build_extra_vars(injectors.get('extra_vars', {}))
    if extra_vars:
        handle, path = tempfile.mkstemp(dir=os.path.join(private_data_dir, 'env'))
        with os.fdopen(handle, 'w') as stream:
            stream.write(awx_safe_dump(extra_vars))
        os.chmod(path, stat.S_IRUSR)
        args.extend(['-e', f'@{path}'])


def builtin_azure_rm(inputs, env):
    """AWX's managed "Microsoft Azure Resource Manager" type (awx/main/models/credential/injectors.py azure_rm)."""
    def get_input(name):
        return inputs.get(name) or ''

    client, tenant = get_input('client'), get_input('tenant')
    env['AZURE_SUBSCRIPTION_ID'] = get_input('subscription')
    if len(client) and len(tenant):
        env['AZURE_CLIENT_ID'] = client
        env['AZURE_TENANT'] = tenant
        env['AZURE_SECRET'] = get_input('secret')
    else:
        env['AZURE_AD_USER'] = get_input('username')
        env['AZURE_PASSWORD'] = get_input('password')
    if inputs.get('cloud_environment') not in (None, ''):  # Credential.has_input: set and not empty
        env['AZURE_CLOUD_ENVIRONMENT'] = inputs['cloud_environment']


def load_credential_type(name):
    return yaml.safe_load((REPO / 'awx' / 'credential_types' / f'{name}.yml').read_text())


# ---------------------------------------------------------------------------------------------- tests

def _auth_env_vars():
    """The environment variables the modules read, from the shared sign-in doc fragment (E(...) markup)."""
    text = (REPO / 'plugins' / 'doc_fragments' / 'auth.py').read_text()
    return set(re.findall(r'E\(([A-Z_]+)\)', text))


SECRET_WORDS = re.compile(r'secret|password|token|certificate|private|key|tenants', re.I)


def test_the_four_credential_types_are_shipped():
    assert [p.stem for p in CREDENTIAL_TYPES] == [
        'w365_tenant', 'w365_tenant_certificate', 'w365_tenant_map', 'w365_tenant_workload_identity']


@pytest.mark.parametrize('path', CREDENTIAL_TYPES, ids=lambda p: p.stem)
def test_credential_type_passes_awx_validation(path):
    validate_credential_type(yaml.safe_load(path.read_text()))


@pytest.mark.parametrize('path', CREDENTIAL_TYPES, ids=lambda p: p.stem)
def test_secrets_are_marked_secret_and_every_input_is_injected(path):
    definition = yaml.safe_load(path.read_text())
    fields = definition['inputs']['fields']
    injected_text = yaml.safe_dump(definition['injectors'])
    for field in fields:
        if SECRET_WORDS.search(field['id']) and field['id'] != 'tenant_id':
            assert field.get('secret') is True, f"{path.name}: {field['id']} must be secret: true"
        assert re.search(r'\{\{\s*%s\s*\}\}' % field['id'], injected_text), f"{path.name}: {field['id']} is never injected"
    assert set(definition['inputs'].get('required', [])) <= {f['id'] for f in fields}
    assert len({f['label'] for f in fields}) == len(fields), 'labels must be unique'


@pytest.mark.parametrize('path', CREDENTIAL_TYPES, ids=lambda p: p.stem)
def test_env_injectors_only_set_variables_the_modules_read(path):
    known = _auth_env_vars() | {'AZURE_SUBSCRIPTION_ID'}
    assert {'AZURE_TENANT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_FEDERATED_TOKEN_FILE'} <= known  # parsed for real
    env = yaml.safe_load(path.read_text())['injectors'].get('env', {})
    assert set(env) <= known, set(env) - known


def test_tenant_map_injects_the_variable_the_rollout_reads():
    definition = load_credential_type('w365_tenant_map')
    assert definition['injectors'] == {'extra_vars': {'w365_tenant_credentials': '{{ tenants }}'}}
    contract = (REPO / 'docs' / 'dev' / 'architecture.md').read_text()
    assert 'extra var `w365_tenant_credentials`' in contract


@pytest.mark.parametrize('name, env_var', [
    ('w365_tenant_certificate', 'AZURE_CLIENT_CERTIFICATE_PATH'),
    ('w365_tenant_workload_identity', 'AZURE_FEDERATED_TOKEN_FILE'),
])
def test_file_injector_writes_a_private_file_named_in_the_environment(tmp_path, name, env_var):
    definition = load_credential_type(name)
    secret_field = next(f['id'] for f in definition['inputs']['fields'] if f.get('multiline'))
    (tmp_path / 'env').mkdir()
    env, safe_env, args = {}, {}, []
    inputs = {'tenant_id': 'contoso.example', 'client_id': 'app-1', secret_field: 'SECRET-MATERIAL\n'}
    inject_credential(definition, inputs, str(tmp_path), env, safe_env, args)
    path = Path(env[env_var])
    assert path.parent == tmp_path / 'env'
    assert path.read_text() == 'SECRET-MATERIAL\n'
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert env['AZURE_TENANT_ID'] == 'contoso.example' and args == []
    assert 'SECRET-MATERIAL' not in repr(safe_env)


def test_tenant_map_lands_in_an_extra_vars_file_marked_unsafe(tmp_path):
    (tmp_path / 'env').mkdir()
    env, safe_env, args = {}, {}, []
    tenants = 'contoso:\n  tenant_id: t1\n  client_secret: "{{ lookup(\'pipe\', \'id\') }}"\n'
    inject_credential(load_credential_type('w365_tenant_map'), {'tenants': tenants}, str(tmp_path), env, safe_env, args)
    assert env == {} and args[0] == '-e' and args[1].startswith('@')
    text = Path(args[1][1:]).read_text()
    assert '!unsafe' in text  # Jinja in a secret is never evaluated by Ansible
    assert yaml.load(text, Loader=_UnsafeLoader) == {'w365_tenant_credentials': tenants}


class _UnsafeLoader(yaml.SafeLoader):
    pass


_UnsafeLoader.add_constructor('!unsafe', lambda loader, node: loader.construct_scalar(node))


def test_single_tenant_type_leaves_unset_fields_empty(tmp_path):
    (tmp_path / 'env').mkdir()
    env, safe_env, args = {}, {}, []
    inputs = {'tenant_id': 't1', 'client_id': 'app', 'client_secret': 'S3cret!', 'cloud': 'public'}
    inject_credential(load_credential_type('w365_tenant'), inputs, str(tmp_path), env, safe_env, args)
    assert env['AZURE_CLIENT_SECRET'] == 'S3cret!' and safe_env['AZURE_CLIENT_SECRET'] == '**********'
    # AWX renders a missing input as an empty string: the modules must treat "" as unset.
    assert env['AZURE_USERNAME'] == '' and env['AZURE_PASSWORD'] == ''


def test_builtin_azure_rm_injects_app_or_user_variables():
    env = {}
    builtin_azure_rm({'client': 'c', 'tenant': 't', 'secret': 's', 'subscription': 'sub',
                      'cloud_environment': 'AzureUSGovernment'}, env)
    assert env == {'AZURE_SUBSCRIPTION_ID': 'sub', 'AZURE_CLIENT_ID': 'c', 'AZURE_TENANT': 't', 'AZURE_SECRET': 's',
                   'AZURE_CLOUD_ENVIRONMENT': 'AzureUSGovernment'}
    env = {}
    builtin_azure_rm({'client': 'c', 'username': 'u@x', 'password': 'p', 'cloud_environment': ''}, env)
    assert env == {'AZURE_SUBSCRIPTION_ID': '', 'AZURE_AD_USER': 'u@x', 'AZURE_PASSWORD': 'p'}
    # the modules read every variable it can set
    assert {'AZURE_CLIENT_ID', 'AZURE_TENANT', 'AZURE_SECRET', 'AZURE_AD_USER', 'AZURE_PASSWORD',
            'AZURE_CLOUD_ENVIRONMENT'} <= _auth_env_vars()


# -- the validator itself must reject what AWX rejects, or the tests above prove nothing --

def _base():
    return copy.deepcopy(load_credential_type('w365_tenant'))


def _mutations():
    def field(definition, id_):
        return next(f for f in definition['inputs']['fields'] if f['id'] == id_)

    def undeclared(d):
        d['injectors']['env']['AZURE_TENANT_ID'] = '{{ tenant }}'

    def bad_kind(d):
        d['kind'] = 'ssh'

    def unknown_injector(d):
        d['injectors']['vars'] = {'x': '{{ tenant_id }}'}

    def ansible_env(d):
        d['injectors']['env']['ANSIBLE_CONFIG'] = '{{ tenant_id }}'

    def blocked_env(d):
        d['injectors']['env']['PATH'] = '{{ tenant_id }}'

    def tower_id(d):
        d['inputs']['fields'].append({'id': 'tower', 'label': 'Tower'})

    def duplicate_id(d):
        d['inputs']['fields'].append({'id': 'tenant_id', 'label': 'Again'})

    def missing_label(d):
        del field(d, 'client_id')['label']

    def bad_type(d):
        field(d, 'client_id')['type'] = 'integer'

    def secret_boolean(d):
        d['inputs']['fields'].append({'id': 'flag', 'label': 'Flag', 'type': 'boolean', 'secret': True})

    def wrong_default(d):
        d['inputs']['fields'].append({'id': 'flag', 'label': 'Flag', 'type': 'boolean', 'default': 'yes'})

    def dependencies(d):
        d['inputs']['dependencies'] = {'password': ['username']}

    def filename_without_file(d):
        d['injectors']['env']['X_FILE'] = '{{ tower.filename }}'

    def mixed_file_syntax(d):
        d['injectors']['file'] = {'template': '{{ tenant_id }}', 'template.key': '{{ client_id }}'}

    def bare_tower(d):
        d['injectors']['file'] = {'template': '{{ tenant_id }}'}
        d['injectors']['env']['X_FILE'] = '{{ tower }}'

    def non_ascii_env(d):
        d['injectors']['env']['AZURE_TENANT_ID'] = '{{ tenant_id }}\u00e9'

    def bad_env_name(d):
        d['injectors']['env']['1AZURE'] = '{{ tenant_id }}'

    def syntax_error(d):
        d['injectors']['env']['AZURE_TENANT_ID'] = '{{ tenant_id '

    def unsafe_code(d):
        d['injectors']['env']['AZURE_TENANT_ID'] = '{{ tenant_id.__class__.__mro__ }}'

    def nested_undeclared(d):
        d['injectors']['extra_vars'] = {'w365': {'id': '{{ nope }}'}}

    def dunder_field(d):
        field(d, 'client_id')['id'] = '9client'

    return [undeclared, bad_kind, unknown_injector, ansible_env, blocked_env, tower_id, duplicate_id, missing_label,
            bad_type, secret_boolean, wrong_default, dependencies, filename_without_file, mixed_file_syntax, bare_tower,
            non_ascii_env, bad_env_name, syntax_error, unsafe_code, nested_undeclared, dunder_field]


@pytest.mark.parametrize('mutate', _mutations(), ids=lambda f: f.__name__)
def test_validator_rejects_what_awx_rejects(mutate):
    definition = _base()
    validate_credential_type(definition)
    mutate(definition)
    with pytest.raises(CredentialTypeError):
        validate_credential_type(definition)


def test_validator_accepts_nested_extra_vars_and_multi_file_syntax():
    definition = _base()
    definition['injectors']['extra_vars'] = {'w365_auth': {'tenant_id': '{{ tenant_id }}', 'ids': ['{{ client_id }}']}}
    definition['injectors']['file'] = {'template.a': '{{ tenant_id }}', 'template.b': '{{ client_id }}'}
    definition['injectors']['env']['X_A'] = '{{ tower.filename.a }}'
    validate_credential_type(definition)
