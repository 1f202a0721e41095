"""Microsoft Graph request context and the OData helpers every Graph resource module uses (permissions, $select,
$filter, paging, body checks). Imports only leaf modules, so resource modules import it and graph.py routes to them
without an import cycle."""

from __future__ import annotations

import datetime
import re

from .errors import ApiError
from .messages import Response
from .odata import check_query, page, parse_filter, parse_select

READ_PERMS = {"cloudpc.read.all", "cloudpc.readwrite.all"}
WRITE_PERMS = {"cloudpc.readwrite.all"}
DIRECTORY_READ = {"application.read.all", "application.readwrite.all", "directory.read.all",
                  "directory.readwrite.all", "directory.accessasuser.all"}
# Directory roles a signed-in user needs for Cloud PC writes (Windows 365 docs: Intune Administrator or Windows 365
# Administrator; Global Administrator includes them). Template IDs from the Entra built-in roles reference.
CLOUD_PC_WRITE_ROLES = {"3a2c62db-5318-420d-8d74-23affee5d9d5": "Intune Administrator",
                        "11451d60-acb2-45eb-a7d6-43d0f0125c13": "Windows 365 Administrator",
                        "62e90394-69f5-4237-9190-012177145e10": "Global Administrator"}
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def iso(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class G:
    """Per-request context."""

    def __init__(self, emu, req, tenant, principal, version):
        self.emu = emu
        self.req = req
        self.tenant = tenant
        self.principal = principal
        self.version = version
        self.now = emu.now()

    @property
    def root(self):
        return f"https://graph.microsoft.com/{self.version}/$metadata"

    def need(self, perms: set, scopes_text: str, directory=False):
        if self.principal["permissions"] & perms:
            return
        if directory:
            raise ApiError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        # Intune-style wording (the Cloud PC API is served by Intune); ASSUMED in docs/sandbox.md.
        who = "Application" if self.principal["kind"] == "app" else "User"
        raise ApiError(403, "Forbidden", f"{who} is not authorized to perform this operation. {who} must have one "
                                         f"of the following scopes: {scopes_text}")

    def read(self):
        self.need(READ_PERMS, "CloudPC.Read.All, CloudPC.ReadWrite.All")

    def write(self):
        """CloudPC.ReadWrite.All (delegated or application); a signed-in user also needs a directory role that may
        manage Cloud PCs: delegated permissions never exceed what the user could do."""
        self.need(WRITE_PERMS, "CloudPC.ReadWrite.All")
        if self.principal["kind"] == "user" and not (self.principal["wids"] & set(CLOUD_PC_WRITE_ROLES)):
            raise ApiError(403, "Forbidden", "User is not authorized to perform this operation. The signed-in user "
                                             "needs one of the directory roles: "
                                             + ", ".join(CLOUD_PC_WRITE_ROLES.values()) + ".")


def _method(g, *allowed):
    if g.req.method not in allowed:
        raise ApiError(405, "MethodNotAllowed", f"The HTTP method '{g.req.method}' is not allowed here.")


def _action(name: str) -> str:
    """`microsoft.graph.runHealthChecks` -> `runhealthchecks`; `getSourceImages()` -> `getsourceimages`."""
    n = name.lower()
    if n.startswith("microsoft.graph."):
        n = n[len("microsoft.graph."):]
    return n[:-2] if n.endswith("()") else n


def check_content_type(req) -> None:
    """A request body must be JSON (learn.microsoft.com/graph/use-the-api: write requests send
    Content-Type: application/json). The message is the one Graph answers a body it cannot read as JSON with."""
    if req.method not in ("POST", "PATCH", "PUT") or not req.body:
        return
    ctype = (req.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if ctype != "application/json" and not ctype.endswith("+json"):
        raise ApiError(400, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is "
                                          "set and payload is of valid JSON format.")


def check_action_body(g, action: str, parameters=()) -> dict:
    """The body of a bound action: only the parameters the action declares (CSDL); a parameterless action takes no
    body at all. Unknown parameters get the OData message Graph returns for them."""
    if not g.req.body or not g.req.body.strip():
        return {}
    if not parameters:
        raise ApiError(400, "BadRequest", f"The action '{action}' does not take parameters; send no request body.")
    body = g.req.json()
    if not isinstance(body, dict):
        raise ApiError(400, "BadRequest", "The request body must be a JSON object.")
    for key in body:
        if key not in parameters:
            raise ApiError(400, "BadRequest", f"The parameter '{key}' in the request payload is not a valid parameter "
                                              f"for the operation '{action}'.")
    return body


def _cloudpc(type_name) -> bool:
    return type_name.lower().startswith("microsoft.graph.cloudpc")


def _collection(g, items, type_name, props, context, expand=()):
    if g.req.method == "GET" and _cloudpc(type_name):
        check_query(g.req, g.version, ("$select", "$filter") + (("$expand",) if expand else ()))
    pred = parse_filter(g.req.q("$filter"), type_name, set(props))
    select = parse_select(g.req.q("$select"), type_name, set(props))
    matched = [e for e in items if pred(e)]
    chunk, next_link = page(g.req, matched, g.emu.seed["graph_page_size"])
    body = {"@odata.context": f"{g.root}#{context}" + (f"({','.join(select)})" if select else "")}
    if (g.req.q("$count") or "").lower() == "true":
        body["@odata.count"] = len(matched)
    body["value"] = [_shape(e, select, None, expand) for e in chunk]
    if next_link:
        body["@odata.nextLink"] = next_link
    return Response(200, body)


def _shape(entity, select, default, expand=()):
    fields = select or default or [k for k in entity if not k.startswith("@")]
    out = {"@odata.type": entity["@odata.type"]} if "@odata.type" in entity else {}
    for f in fields:
        out[f] = entity.get(f)
    # OData: a navigation property named in $expand is returned whether or not $select names it (the caller put it
    # on the entity only when the request expanded it).
    for nav in expand:
        if nav in entity and nav not in out:
            out[nav] = entity[nav]
    return out


def _single(g, entity, props, default, context, expand=()):
    if g.req.method == "GET" and _cloudpc(entity.get("@odata.type", "").lstrip("#")):
        check_query(g.req, g.version, ("$select",) + (("$expand",) if expand else ()))
    select = parse_select(g.req.q("$select"), entity["@odata.type"].lstrip("#"), set(props))
    body = {"@odata.context": f"{g.root}#{context}" + (f"({','.join(select)})" if select else "") + "/$entity"}
    body.update(_shape(entity, select, default, expand))
    return body


def _check_body(body, type_name, writable, readonly, ignore=()):
    if not isinstance(body, dict):
        raise ApiError(400, "BadRequest", "The request body must be a JSON object.")
    for key in body:
        if key.startswith("@odata.") or key in readonly or key in ignore:
            continue
        if key not in writable:
            raise ApiError(400, "BadRequest",
                           f"The property '{key}' does not exist on type '{type_name}'. Make sure to only use "
                           "property names that are defined by the type or mark the type as open type.")
