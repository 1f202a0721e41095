"""The small part of OData that the Cloud PC endpoints need: $select, $filter, $top/$skiptoken paging, $count."""

from __future__ import annotations

import re
import urllib.parse

from .errors import ApiError

_CLAUSE = re.compile(
    r"^\s*(?:(?P<prop>\w+)\s+(?P<op>eq|ne)\s+(?P<value>'(?:[^']|'')*'|true|false|null|-?\d+)"
    r"|startswith\(\s*(?P<sprop>\w+)\s*,\s*(?P<svalue>'(?:[^']|'')*')\s*\))\s*$",
    re.IGNORECASE,
)


def _literal(text: str):
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    if low == "null":
        return None
    return int(text)


def parse_filter(text: str | None, type_name: str, props: set[str]):
    """A predicate over a full entity dict, for `a eq 'x' and startswith(b,'y') ...`; raises Graph's 400."""
    if not text:
        return lambda entity: True
    tests = []
    for clause in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE):
        m = _CLAUSE.match(clause)
        if not m:
            raise ApiError(400, "BadRequest", f"Invalid filter clause: the query specified in the URI is not valid "
                                              f"or not supported: '{clause.strip()}'.")
        prop = m.group("prop") or m.group("sprop")
        if prop not in props:
            raise ApiError(400, "BadRequest", f"Could not find a property named '{prop}' on type '{type_name}'.")
        if m.group("sprop"):
            value = _literal(m.group("svalue"))
            tests.append(lambda e, p=prop, v=value: isinstance(e.get(p), str) and e[p].lower().startswith(v.lower()))
        else:
            value = _literal(m.group("value"))
            eq = m.group("op").lower() == "eq"
            # Graph string comparisons on these endpoints are case-insensitive
            tests.append(lambda e, p=prop, v=value, eq=eq: (_norm(e.get(p)) == _norm(v)) == eq)
    return lambda entity: all(t(entity) for t in tests)


def _norm(v):
    return v.lower() if isinstance(v, str) else v


def parse_select(text: str | None, type_name: str, props: set[str]):
    if not text:
        return None
    fields = [f.strip() for f in text.split(",") if f.strip()]
    for f in fields:
        if f not in props:
            raise ApiError(400, "BadRequest", f"Could not find a property named '{f}' on type '{type_name}'.")
    return fields


def page(req, items: list, page_size: int):
    """(items of this page, nextLink or None) from $top and $skiptoken."""
    top = req.q("$top")
    skip = req.q("$skiptoken")
    size = page_size
    if top is not None:
        if not top.isdigit() or int(top) < 1:
            raise ApiError(400, "BadRequest", f"Invalid value '{top}' for $top: it must be a positive integer.")
        size = min(int(top), page_size)
    start = 0
    if skip is not None:
        if not skip.isdigit():
            raise ApiError(400, "BadRequest", "The $skiptoken is not valid.")
        start = int(skip)
    chunk = items[start:start + size]
    next_link = None
    if start + size < len(items):
        query = {k: v for k, v in req.query.items() if k.lower() != "$skiptoken"}
        query["$skiptoken"] = str(start + size)
        next_link = f"{req.base_url}{urllib.parse.quote(req.path)}?{urllib.parse.urlencode(query, safe='$,()')}"
    return chunk, next_link


# OData system query options Graph knows (learn.microsoft.com/graph/query-parameters). Which of them an operation
# supports is listed in its "Optional query parameters" section; the Cloud PC list pages name $select and $filter
# (provisioningPolicies also $expand), and paging ($top, $skiptoken) and $count are what the sandbox pages with.
SYSTEM_OPTIONS = ("$select", "$filter", "$expand", "$orderby", "$top", "$skip", "$skiptoken", "$count", "$search",
                  "$format")
PAGING = ("$top", "$skiptoken", "$count")


def check_query(req, version: str, supported) -> None:
    """Refuse a query option the operation does not support, and any other query parameter, with Graph's 400.

    On beta the $ prefix is optional (learn.microsoft.com/graph/query-parameters: "On the beta endpoint, the $ prefix
    is optional"); on v1.0 it is always required here. The error texts are ASSUMED (docs/sandbox.md).
    """
    allowed = {o.lower() for o in supported} | set(PAGING)
    for name in req.query:
        low = name.lower()
        key = low if low.startswith("$") or version != "beta" else "$" + low
        if key in allowed:
            continue
        if key in SYSTEM_OPTIONS:
            raise ApiError(400, "BadRequest", f"The query specified in the URI is not valid. Query option "
                                              f"'{name}' is not supported by this operation.")
        raise ApiError(400, "BadRequest", f"The query specified in the URI is not valid. Query parameter '{name}' "
                                          "is not supported.")
