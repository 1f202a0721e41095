# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate payloads against the official API descriptions in ``../shared/specs``.

The descriptions are third-party data and are not shipped with the repository: they are read in place
(``$W365_SHARED_DIR/specs``, default ``<repo>/../shared/specs``). Callers use :func:`require_specs` (or the
``specs`` fixture) so that tests skip with a clear reason when they are absent.

Two layers of checking:

* schema validation proper: ``openapi-schema-validator`` ``OAS30Validator`` for Graph (after the two
  normalisations the specs README prescribes) and ``jsonschema`` ``Draft4Validator`` for ARM (Swagger 2.0);
* a strict "undeclared property" pass (on by default). Graph marks every object as an open type and most ARM
  definitions do not close theirs, so a misspelt or invented property would otherwise slip through schema
  validation. Real services only add OData annotations (``@odata.*``), which are allowed.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[3]

SPEC_FILES = {
    'graph': 'graph-cloudpc.openapi.yaml',
    'authorization': 'arm-authorization.json',
    'network': 'arm-network.json',
    'resources': 'arm-resources.json',
}
ARM_SPECS = ('authorization', 'network', 'resources')
MISSING_REASON = '../shared/specs not found: the official API descriptions are not shipped with the repo'
_HTTP_METHODS = ('get', 'put', 'post', 'patch', 'delete', 'head')
_NO_BODY = object()


class SpecsMissing(RuntimeError):
    """The spec files are not available on this machine."""


class SpecMismatch(AssertionError):
    """A payload does not match the official description."""


@dataclass(frozen=True)
class Checked:
    """What a payload was checked against (lets tests assert the intended operation matched)."""
    spec: str
    operation_id: str
    path: str
    method: str
    response: str | None  # the response key used ('2XX', '200', 'default'); None for request bodies


def specs_dir() -> Path:
    shared = os.environ.get('W365_SHARED_DIR')
    base = Path(shared) if shared else REPO_ROOT.parent / 'shared'
    return base / 'specs'


def specs_available() -> bool:
    root = specs_dir()
    return all((root / name).is_file() for name in SPEC_FILES.values())


def require_specs() -> Path:
    """Skip the calling test (pytest) when the spec files are absent; return their directory."""
    if not specs_available():
        import pytest  # only the test path needs pytest
        pytest.skip(MISSING_REASON)
    return specs_dir()


@functools.lru_cache(maxsize=None)
def load_spec(name: str) -> dict:
    """The raw document (cached; callers must not mutate it)."""
    if name not in SPEC_FILES:
        raise KeyError(f'unknown spec {name!r}; expected one of {sorted(SPEC_FILES)}')
    path = specs_dir() / SPEC_FILES[name]
    if not path.is_file():
        raise SpecsMissing(f'{MISSING_REASON} (looked for {path})')
    text = path.read_text(encoding='utf-8')
    if path.suffix in ('.yaml', '.yml'):
        import yaml
        return yaml.safe_load(text)
    return json.loads(text)


def load_example(relative: str) -> dict:
    """A file under specs/examples (``arm/network/2026-03-01/SubnetGet.json`` or ``graph/examples.json``)."""
    path = specs_dir() / 'examples' / relative
    if not path.is_file():
        raise SpecsMissing(f'{MISSING_REASON} (looked for {path})')
    return json.loads(path.read_text(encoding='utf-8'))


# ---------------------------------------------------------------------------------------------- Graph

def _normalise_graph(node: Any) -> Any:
    """Apply the README's two rules to a deep copy of the Graph components.

    1. ``additionalProperties: {type: object}`` is Graph's open-type marker, not a constraint: read it as ``true``.
    2. Names listed in ``x-subset-nullable-refs`` are ``$ref`` properties the CSDL declares nullable: accept null.
    """
    if isinstance(node, list):
        return [_normalise_graph(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _normalise_graph(value) for key, value in node.items()}
    if out.get('additionalProperties') == {'type': 'object'}:
        out['additionalProperties'] = True
    nullable = out.get('x-subset-nullable-refs') or ()
    props = out.get('properties') or {}
    for name in nullable:
        if name in props:
            # A $ref ignores its siblings, so "nullable: true" beside it would do nothing.
            props[name] = {'anyOf': [props[name], {'enum': [None]}]}
    return out


@functools.lru_cache(maxsize=None)
def _graph_components() -> dict:
    return _normalise_graph(copy.deepcopy(load_spec('graph')['components']))


def _canon_segment(segment: str) -> str:
    # Graph accepts bound actions/functions with or without the namespace, and functions with or without "()".
    seg = segment.lower()
    if seg.startswith('microsoft.graph.'):
        seg = seg[len('microsoft.graph.'):]
    if seg.endswith('()'):
        seg = seg[:-2]
    return seg


def _graph_path_of(path: str) -> str:
    path = re.sub(r'^https?://[^/]+', '', path)
    path = path.split('?', 1)[0].rstrip('/')
    if re.match(r'^/beta(/|$)', path, re.IGNORECASE):
        raise SpecMismatch(f'{path}: the Graph description covers v1.0 only; beta answers cannot be judged by it')
    path = re.sub(r'^/v1\.0(?=/)', '', path)
    return path if path.startswith('/') else '/' + path


def match_graph_path(path: str) -> str:
    """The spec path template for a concrete path (or a template); literal segments win over parameters."""
    doc = load_spec('graph')
    wanted = [s for s in _graph_path_of(path).split('/') if s]
    best, best_score = None, -1
    for template in doc['paths']:
        parts = [s for s in template.split('/') if s]
        if len(parts) != len(wanted):
            continue
        score = 0
        for tpl, seg in zip(parts, wanted):
            if tpl == seg or _canon_segment(tpl) == _canon_segment(seg):
                score += 1
            elif not (tpl.startswith('{') and tpl.endswith('}')):
                break
        else:
            if score > best_score:
                best, best_score = template, score
    if best is None:
        raise SpecMismatch(f'no Graph operation in the spec matches path {path!r}')
    return best


def _graph_operation(path: str, method: str) -> tuple[str, dict]:
    template = match_graph_path(path)
    item = load_spec('graph')['paths'][template]
    op = item.get(method.lower())
    if op is None:
        raise SpecMismatch(f'the spec has no {method.upper()} on {template} (it has {sorted(k for k in item if k in _HTTP_METHODS)})')
    return template, op


def _graph_resolve_response(response: dict) -> dict:
    ref = response.get('$ref')
    if ref:
        return load_spec('graph')['components']['responses'][ref.rsplit('/', 1)[1]]
    return response


def _response_key(responses: dict, status: int) -> str:
    code = str(int(status))
    if code in responses:
        return code
    family = f'{code[0]}XX'
    if family in responses:
        return family
    if 'default' in responses:
        return 'default'
    raise SpecMismatch(f'status {status} is not declared for this operation (declared: {sorted(responses)})')


def _oas30_validator(schema: dict):
    from openapi_schema_validator import OAS30Validator
    from openapi_schema_validator import oas30_format_checker
    root = {'components': _graph_components(), 'allOf': [schema]}
    return OAS30Validator(root, format_checker=oas30_format_checker), root


def _graph_check(schema: dict | None, payload: Any, strict: bool, what: str) -> None:
    if schema is None:
        if payload not in (None, b'', ''):
            raise SpecMismatch(f'{what}: the spec declares no body, got {_short(payload)}')
        return
    if payload is _NO_BODY or payload is None:
        raise SpecMismatch(f'{what}: the spec declares a JSON body, got none')
    schema = _normalise_graph(copy.deepcopy(schema))
    validator, root = _oas30_validator(schema)
    problems = [_format_error(err) for err in validator.iter_errors(payload)]
    if strict:
        problems += _undeclared(root, schema, payload, '$', graph=True)
    if problems:
        raise SpecMismatch(f'{what}:\n  ' + '\n  '.join(problems))


def _json_schema_of(content_holder: dict) -> dict | None:
    content = content_holder.get('content') or {}
    for media in ('application/json', 'text/plain'):
        if media in content:
            return content[media].get('schema')
    return None


def validate_graph(operation_path: str, method: str, status: int, payload: Any, *, strict: bool = True) -> Checked:
    """Check a Graph v1.0 response body; ``payload`` is the decoded JSON (None for an empty body)."""
    template, op = _graph_operation(operation_path, method)
    key = _response_key(op['responses'], status)
    response = _graph_resolve_response(op['responses'][key])
    what = f'Graph {method.upper()} {template} -> {status} (response {key!r}, {op["operationId"]})'
    # The generated description gives every PATCH a "2XX" body, but 2XX also covers 204 No Content, which HTTP
    # forbids to carry one (Graph documents 204 for, e.g., a provisioning policy update). Tests pin the status.
    schema = None if int(status) == 204 else _json_schema_of(response)
    _graph_check(schema, payload, strict, what)
    return Checked('graph', op['operationId'], template, method.lower(), key)


def validate_graph_request(operation_path: str, method: str, payload: Any, *, strict: bool = True) -> Checked:
    """Check a Graph v1.0 request body."""
    template, op = _graph_operation(operation_path, method)
    what = f'Graph {method.upper()} {template} request body ({op["operationId"]})'
    body = op.get('requestBody')
    _graph_check(_json_schema_of(body) if body else None, payload, strict, what)
    return Checked('graph', op['operationId'], template, method.lower(), None)


# ------------------------------------------------------------------------------------------------ ARM

@functools.lru_cache(maxsize=None)
def _arm_operations(spec_name: str) -> dict:
    doc = load_spec(spec_name)
    ops = {}
    for section in ('paths', 'x-ms-paths'):
        for path, item in (doc.get(section) or {}).items():
            for method, op in item.items():
                if method in _HTTP_METHODS:
                    ops[op['operationId']] = (path, method, op)
    return ops


def _arm_nullable(doc: dict, schema: Any, default: bool) -> bool:
    target = schema
    if isinstance(schema, dict) and '$ref' in schema:
        target = doc['definitions'].get(schema['$ref'].rsplit('/', 1)[1], {})
    flag = target.get('x-nullable') if isinstance(target, dict) else None
    return default if flag is None else bool(flag)


def _or_null(schema: Any) -> dict:
    return {'anyOf': [schema, {'enum': [None]}]}


def _normalise_arm(schema: Any, doc: dict) -> Any:
    """Swagger 2.0 has no null; read nullability the way Azure's own validator (oav) does.

    oav's nullableTransformer accepts null for an optional property, a map value or an array item unless it
    says ``x-nullable: false``, and for a required property only with ``x-nullable: true``. Real ARM answers
    carry such nulls (a role assignment's ``condition``, ``description``, ``createdBy``). Walks schema
    keywords only, so a property that happens to be called ``properties`` is not mistaken for a keyword.
    """
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    required = set(out.get('required') or ())
    if isinstance(out.get('properties'), dict):
        props = {}
        for name, prop in out['properties'].items():
            norm = _normalise_arm(prop, doc)
            props[name] = _or_null(norm) if _arm_nullable(doc, prop, default=name not in required) else norm
        out['properties'] = props
    for key in ('additionalProperties', 'items'):
        value = out.get(key)
        if isinstance(value, dict):
            norm = _normalise_arm(value, doc)
            out[key] = _or_null(norm) if _arm_nullable(doc, value, default=True) else norm
    for key in ('allOf', 'anyOf', 'oneOf'):
        if isinstance(out.get(key), list):
            out[key] = [_normalise_arm(branch, doc) for branch in out[key]]
    return out


@functools.lru_cache(maxsize=None)
def _arm_definitions(spec_name: str) -> dict:
    doc = load_spec(spec_name)
    return {name: _normalise_arm(schema, doc) for name, schema in doc['definitions'].items()}


def arm_operation(spec_name: str, operation_id: str) -> tuple[str, str, dict]:
    """(path, method, operation) for an operationId."""
    if spec_name not in ARM_SPECS:
        raise KeyError(f'unknown ARM spec {spec_name!r}; expected one of {ARM_SPECS}')
    ops = _arm_operations(spec_name)
    if operation_id not in ops:
        raise SpecMismatch(f'{spec_name}: no operation {operation_id!r} (known: {sorted(ops)})')
    return ops[operation_id]


def _arm_param(doc: dict, param: dict) -> dict:
    ref = param.get('$ref')
    return doc['parameters'][ref.rsplit('/', 1)[1]] if ref else param


def arm_api_version(spec_name: str, operation_id: str) -> str:
    """The api-version of an operation: one per document, except arm-resources which holds two."""
    path, _method, _op = arm_operation(spec_name, operation_id)
    doc = load_spec(spec_name)
    if spec_name == 'resources':
        return '2022-12-01' if '/resourcegroups' not in path.lower() else '2025-04-01'
    return doc['info']['version']


def _draft4_check(spec_name: str, schema: dict | None, payload: Any, strict: bool, what: str) -> None:
    from jsonschema import Draft4Validator, FormatChecker
    if schema is None:
        if payload not in (None, b'', ''):
            raise SpecMismatch(f'{what}: the spec declares no body, got {_short(payload)}')
        return
    if payload is _NO_BODY or payload is None:
        raise SpecMismatch(f'{what}: the spec declares a JSON body, got none')
    root = {'definitions': _arm_definitions(spec_name), 'allOf': [_normalise_arm(schema, load_spec(spec_name))]}
    validator = Draft4Validator(root, format_checker=FormatChecker())
    problems = [_format_error(err) for err in validator.iter_errors(payload)]
    if strict:
        problems += _undeclared(root, schema, payload, '$', graph=False)
    if problems:
        raise SpecMismatch(f'{what}:\n  ' + '\n  '.join(problems))


# The error wrappers in these documents require nothing, and resources' CloudError even nests a second
# ErrorResponse ({"error": {"error": ...}}), so in strict mode error bodies must also have the shape of the ARM
# RPC contract that real services send and the SDKs parse: {"error": {"code", "message", ...}}.
ARM_ERROR_SHAPE = {
    'type': 'object',
    'required': ['error'],
    'properties': {
        'error': {
            'type': 'object',
            'required': ['code', 'message'],
            'properties': {
                'code': {'type': 'string', 'minLength': 1},
                'message': {'type': 'string'},
                'target': {'type': ['string', 'null']},
                'details': {'type': 'array', 'items': {'$ref': '#/properties/error'}},
                'additionalInfo': {'type': 'array', 'items': {'type': 'object'}},
            },
        },
    },
}


def validate_arm(spec_name: str, operation_id: str, status: int, payload: Any, *, strict: bool = True) -> Checked:
    """Check an ARM response body against ``spec_name`` (authorization/network/resources) ``operation_id``."""
    path, method, op = arm_operation(spec_name, operation_id)
    key = _response_key(op['responses'], status)
    schema = op['responses'][key].get('schema')
    what = f'ARM {spec_name} {operation_id} -> {status} (response {key!r})'
    # A declared body-less error (HEAD's 404) has nothing to hold to the error shape.
    is_error = int(status) >= 400 and schema is not None
    _draft4_check(spec_name, schema, payload, strict and not is_error, what)
    if strict and is_error:
        from jsonschema import Draft4Validator
        problems = [_format_error(err) for err in Draft4Validator(ARM_ERROR_SHAPE).iter_errors(payload)]
        problems += _undeclared(ARM_ERROR_SHAPE, ARM_ERROR_SHAPE, payload, '$', graph=False)
        if problems:
            raise SpecMismatch(f'{what} (ARM error shape):\n  ' + '\n  '.join(problems))
    return Checked(spec_name, operation_id, path, method, key)


def validate_arm_request(spec_name: str, operation_id: str, payload: Any, *, strict: bool = True) -> Checked:
    """Check an ARM request body (the operation's ``in: body`` parameter)."""
    path, method, op = arm_operation(spec_name, operation_id)
    doc = load_spec(spec_name)
    params = [_arm_param(doc, p) for p in op.get('parameters', [])]
    body = next((p for p in params if p.get('in') == 'body'), None)
    what = f'ARM {spec_name} {operation_id} request body'
    _draft4_check(spec_name, body['schema'] if body else None, payload, strict, what)
    return Checked(spec_name, operation_id, path, method, None)


# ------------------------------------------------------------------------------------- strict pass

def _resolve(root: dict, schema: dict) -> dict:
    seen = 0
    while isinstance(schema, dict) and '$ref' in schema:
        ref = schema['$ref']
        if not ref.startswith('#/'):
            raise SpecMismatch(f'external $ref {ref!r} is not supported')
        node: Any = root
        for part in ref[2:].split('/'):
            node = node[part.replace('~1', '/').replace('~0', '~')]
        schema = node
        seen += 1
        if seen > 50:
            raise SpecMismatch(f'$ref loop at {ref!r}')
    return schema


def _flatten(root: dict, schema: dict, payload: Any) -> tuple[dict, Any, bool]:
    """Merged ``properties`` / ``additionalProperties`` / ``items`` of a schema with its allOf/anyOf branches.

    Returns (properties, additional, has_properties_info); ``additional`` is the map-value schema, if any.
    """
    schema = _resolve(root, schema)
    props: dict = {}
    additional = None
    known = False
    if 'properties' in schema:
        props.update(schema['properties'])
        known = True
    extra = schema.get('additionalProperties')
    if isinstance(extra, dict) and extra and extra != {'type': 'object'}:
        additional = extra
    for branch in schema.get('allOf', ()):
        sub_props, sub_extra, sub_known = _flatten(root, branch, payload)
        props.update(sub_props)
        additional = additional or sub_extra
        known = known or sub_known
    for keyword in ('anyOf', 'oneOf'):
        # Only the branch the payload really matches matters; enum-null branches (nullable refs) are skipped.
        for branch in schema.get(keyword, ()):
            resolved = _resolve(root, branch)
            if resolved.get('enum') == [None]:
                continue
            sub_props, sub_extra, sub_known = _flatten(root, resolved, payload)
            props.update(sub_props)
            additional = additional or sub_extra
            known = known or sub_known
    return props, additional, known


def _items_schema(root: dict, schema: dict) -> dict | None:
    schema = _resolve(root, schema)
    if 'items' in schema:
        return schema['items']
    for keyword in ('allOf', 'anyOf', 'oneOf'):
        for branch in schema.get(keyword, ()):
            found = _items_schema(root, branch)
            if found is not None:
                return found
    return None


def _is_annotation(key: str) -> bool:
    # OData control information (@odata.nextLink) and instance annotations (name@odata.type).
    return key.startswith('@') or '@' in key


def _undeclared(root: dict, schema: dict, payload: Any, where: str, graph: bool) -> list[str]:
    problems: list[str] = []
    if isinstance(payload, dict):
        props, additional, known = _flatten(root, schema, payload)
        if not known and additional is not None:
            for key, value in payload.items():
                problems += _undeclared(root, additional, value, f'{where}.{key}', graph)
            return problems
        if not known:
            return problems  # a free-form object (stubs, open maps): nothing declared to compare against
        for key, value in payload.items():
            if key in props:
                problems += _undeclared(root, props[key], value, f'{where}.{key}', graph)
            elif graph and _is_annotation(key):
                continue
            elif additional is not None:
                problems += _undeclared(root, additional, value, f'{where}.{key}', graph)
            else:
                problems.append(f'{where}.{key}: property not declared by the spec (schema declares {sorted(props)})')
    elif isinstance(payload, list):
        items = _items_schema(root, schema)
        if items is not None:
            for index, value in enumerate(payload):
                problems += _undeclared(root, items, value, f'{where}[{index}]', graph)
    return problems


def _format_error(err) -> str:
    location = '$' + ''.join(f'[{p}]' if isinstance(p, int) else f'.{p}' for p in err.absolute_path)
    if err.context:
        # anyOf from a nullable ref: report the real branch's errors with their own paths, not the null branch.
        real = [sub for sub in err.context if sub.validator != 'enum' or sub.validator_value != [None]]
        if real:
            return '; '.join(sorted({_format_error(sub) for sub in real}))
        reasons = '; '.join(sorted({sub.message for sub in err.context}))
        return f'{location}: {err.message} ({reasons})'
    return f'{location}: {err.message}'


def _short(payload: Any) -> str:
    text = json.dumps(payload, default=str) if not isinstance(payload, (bytes, str)) else repr(payload)
    return text if len(text) <= 200 else text[:200] + '...'
