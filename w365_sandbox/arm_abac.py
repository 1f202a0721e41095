"""Azure ABAC conditions (conditionVersion 2.0) on role assignments, as far as role assignment management needs.

Sources (learn.microsoft.com/azure/role-based-access-control/):
- conditions-format: expression grammar (`AND`/`&&`, `OR`/`||`, `NOT`/`!`, parentheses, `ActionMatches{'...'}`,
  `@Request[...]` / `@Resource[...]` attributes, `ForAnyOfAnyValues:` cross-product operators, `GuidEquals`,
  `StringEquals`, `StringEqualsIgnoreCase`, `StringStartsWith` and their negations).
- conditions-authorization-actions-attributes: role assignment writes carry the *request* attributes
  `Microsoft.Authorization/roleAssignments:RoleDefinitionId`, `:PrincipalId`, `:PrincipalType`; deletes carry
  the same names as *resource* attributes (of the assignment being deleted).
- delegate-role-assignments-examples: the condition shapes ("Constrain roles", "Constrain roles and principals").
- conditions-troubleshoot ("Symptom - Unable to assign a role"): a denied write is 403 AuthorizationFailed,
  "The client '...' with object id '...' does not have authorization or an ABAC condition not fulfilled to perform
  action '...' over scope '...' or the scope is invalid. If access was recently granted, please refresh your
  credentials."
- overview ("How Azure RBAC determines if a user has access"): a role assignment without a condition that grants
  the action allows it; a conditioned one only when its condition is true.

ASSUMED (docs/sandbox.md): a condition the sandbox cannot parse, or an attribute a request does not carry, counts as
not fulfilled (fail closed).
"""

from __future__ import annotations

import re

from . import roles
from .errors import ApiError

WRITE = "Microsoft.Authorization/roleAssignments/write"
DELETE = "Microsoft.Authorization/roleAssignments/delete"
_ATTR_PREFIX = "microsoft.authorization/roleassignments:"

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<lp>\() | (?P<rp>\)) |
      (?P<and>AND\b|&&) | (?P<or>OR\b|\|\|) | (?P<not>NOT\b|!) |
      (?P<action>ActionMatches\s*\{\s*'(?P<action_value>[^']*)'\s*\}) |
      (?P<attr>@(?P<source>Request|Resource|Principal|Environment)\[(?P<name>[^\]]+)\]) |
      (?P<op>(?:(?:ForAnyOfAnyValues|ForAllOfAnyValues|ForAnyOfAllValues|ForAllOfAllValues):)?[A-Za-z]+) |
      (?P<set>\{[^}]*\}) |
      (?P<string>'[^']*') |
      (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})
    )""", re.VERBOSE | re.IGNORECASE)

_OPERATORS = {
    "guidequals": lambda a, b: a.lower() == b.lower(),
    "guidnotequals": lambda a, b: a.lower() != b.lower(),
    "stringequals": lambda a, b: a == b,
    "stringnotequals": lambda a, b: a != b,
    "stringequalsignorecase": lambda a, b: a.lower() == b.lower(),
    "stringnotequalsignorecase": lambda a, b: a.lower() != b.lower(),
    "stringstartswith": lambda a, b: a.startswith(b),
    "stringstartswithignorecase": lambda a, b: a.lower().startswith(b.lower()),
}


class ConditionError(ValueError):
    """The condition text is not in the supported grammar."""


def _tokens(text: str) -> list:
    out, pos, text = [], 0, text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ConditionError(f"cannot read the condition at position {pos + 1}")
        kind = next(k for k in ("lp", "rp", "and", "or", "not", "action", "attr", "op", "set", "string", "guid")
                    if m.group(k) is not None)
        out.append((kind, m))
        pos = m.end()
    return out


def _values(kind, m) -> list:
    if kind == "set":
        inner = m.group("set")[1:-1]
        return [v.strip().strip("'") for v in inner.split(",") if v.strip()]
    if kind == "string":
        return [m.group("string")[1:-1]]
    return [m.group("guid")]


class _Parser:
    def __init__(self, text):
        self.tokens = _tokens(text)
        self.i = 0

    def peek(self):
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def take(self, kind=None):
        if self.i >= len(self.tokens) or (kind and self.tokens[self.i][0] != kind):
            raise ConditionError(f"expected {kind or 'more'} in the condition")
        token = self.tokens[self.i]
        self.i += 1
        return token

    def parse(self):
        tree = self.expr()
        if self.i != len(self.tokens):
            raise ConditionError("unexpected text after the end of the condition")
        return tree

    def expr(self):
        node = self.term()
        while self.peek() == "or":
            self.take()
            node = ("or", node, self.term())
        return node

    def term(self):
        node = self.unary()
        while self.peek() == "and":
            self.take()
            node = ("and", node, self.unary())
        return node

    def unary(self):
        kind = self.peek()
        if kind == "not":
            self.take()
            return ("not", self.unary())
        if kind == "lp":
            self.take()
            node = self.expr()
            self.take("rp")
            return node
        if kind == "action":
            _k, m = self.take()
            return ("action", m.group("action_value"))
        if kind == "attr":
            _k, m = self.take()
            _ok, op = self.take("op")
            vk, vm = self.take()
            if vk not in ("set", "string", "guid"):
                raise ConditionError("expected a value after the operator")
            return ("compare", m.group("source").lower(), m.group("name").strip().lower(), op.group("op"),
                    _values(vk, vm))
        raise ConditionError("expected an expression")


def parse(text: str):
    return _Parser(text).parse()


def _evaluate(node, action: str, attributes: dict) -> bool:
    kind = node[0]
    if kind == "or":
        return _evaluate(node[1], action, attributes) or _evaluate(node[2], action, attributes)
    if kind == "and":
        return _evaluate(node[1], action, attributes) and _evaluate(node[2], action, attributes)
    if kind == "not":
        return not _evaluate(node[1], action, attributes)
    if kind == "action":
        return roles.action_matches(node[1], action)
    _c, source, name, op, values = node
    value = attributes.get((source, name))
    if value is None:
        return False
    base = op.rpartition(":")[2]
    compare = _OPERATORS.get(base.lower())
    if compare is None:
        return False
    # Single-valued attributes: every cross-product quantifier reduces to "any of the listed values" for the
    # positive operators and "none of them" for the negated ones.
    if base.lower().startswith(("guidnot", "stringnot")):
        return all(compare(value, v) for v in values)
    return any(compare(value, v) for v in values)


def evaluate(condition: str, action: str, attributes: dict) -> bool:
    """True when `condition` allows `action` with `attributes` ({(source, attribute name lower): value})."""
    try:
        tree = parse(condition)
    except ConditionError:
        return False
    return _evaluate(tree, action, attributes)


def _attributes(source: str, role_guid: str, principal_id: str, principal_type: str | None) -> dict:
    attrs = {(source, _ATTR_PREFIX + "roledefinitionid"): role_guid, (source, _ATTR_PREFIX + "principalid"): principal_id}
    if principal_type:
        attrs[(source, _ATTR_PREFIX + "principaltype")] = principal_type
    return attrs


def _authorize(ctx, action: str, scope: str, attributes: dict) -> None:
    granting = [ra for ra in ctx.tenant.assignments_covering(ctx.oid, scope) if roles.role_allows(ra["role"], action)]
    if not granting:
        return  # the caller's plain RBAC check has already answered
    for ra in granting:
        if not ra.get("condition") or evaluate(ra["condition"], action, attributes):
            return
    client = ctx.principal.get("upn") or ctx.principal.get("appid") or ctx.oid
    raise ApiError(403, "AuthorizationFailed",
                   f"The client '{client}' with object id '{ctx.oid}' does not have authorization or an ABAC "
                   f"condition not fulfilled to perform action '{action}' over scope '{scope}' or the scope is "
                   "invalid. If access was recently granted, please refresh your credentials.")


def authorize_write(ctx, scope: str, role_guid: str, principal_id: str, principal_type: str | None) -> None:
    """Raise 403 AuthorizationFailed when only conditioned assignments grant the write and none allows it."""
    _authorize(ctx, WRITE, scope, _attributes("request", role_guid, principal_id, principal_type))


def authorize_delete(ctx, scope: str, assignment: dict) -> None:
    _authorize(ctx, DELETE, scope, _attributes("resource", assignment["role"], assignment["principal_id"],
                                               assignment.get("principal_type")))
