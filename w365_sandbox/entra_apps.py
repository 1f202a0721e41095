"""Microsoft Graph: app registrations, their service principals, application permission grants (appRoleAssignments),
certificate credentials (keyCredentials) and federated identity credentials - what tenant onboarding writes.

An app registration becomes able to sign in (client credentials) once its service principal exists; its Graph
tokens then carry the app roles granted to that service principal on Microsoft Graph (`roles`), and it may sign in
with any certificate in its keyCredentials or any matching federated identity credential.

Sources (learn.microsoft.com/graph/api/...): application-post-applications, application-list ($filter on appId,
displayName), application-update (keyCredentials), application-post-federatedidentitycredentials,
federatedidentitycredential-list, serviceprincipal-post-serviceprincipals, serviceprincipal-post-approleassignments,
serviceprincipal-list-approleassignments; resources keyCredential, federatedIdentityCredential, appRoleAssignment.
Permission tables of those pages: Application.ReadWrite.All (applications, service principals),
AppRoleAssignment.ReadWrite.All (app role assignments); in delegated scenarios the user also needs a supported
Entra role (Application Administrator, Cloud Application Administrator, Global Administrator for applications;
Privileged Role Administrator or Global Administrator to grant Microsoft Graph application permissions).
"""

from __future__ import annotations

import base64
import datetime
import uuid

from .errors import ApiError
from .messages import Response
from .world import stable_id

MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
# Microsoft Graph application permissions (app role IDs of the Microsoft Graph service principal; Microsoft Graph
# permissions reference).
GRAPH_APP_ROLES = {
    "a9e09520-8ed4-4cde-838e-4fdea192c227": "CloudPC.Read.All",
    "3b4349e1-8cf5-45a3-95b7-69d1751d3e6a": "CloudPC.ReadWrite.All",
    "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30": "Application.Read.All",
    "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9": "Application.ReadWrite.All",
    "06b708a9-e830-4db3-a914-8e69da51d44f": "AppRoleAssignment.ReadWrite.All",
    "7ab1d382-f21e-4acd-a863-ba3e13f7da61": "Directory.Read.All",
    "5b567255-7703-4780-807c-7be8301ae99b": "Group.Read.All",
}
APP_READ = {"application.read.all", "application.readwrite.all", "directory.read.all", "directory.readwrite.all"}
APP_WRITE = {"application.readwrite.all", "directory.readwrite.all"}
GRANT_WRITE = {"approleassignment.readwrite.all"}
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
APP_ADMIN_ROLES = {GLOBAL_ADMIN, "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",  # Application Administrator
                   "158c047a-c907-4556-b7ef-446551a6b5f7"}  # Cloud Application Administrator
GRANT_ADMIN_ROLES = {GLOBAL_ADMIN, "e8611ab8-c189-46e8-94e1-60213ab1f814"}  # Privileged Role Administrator
APP_FIELDS = ["id", "appId", "displayName", "signInAudience", "notes", "keyCredentials", "createdDateTime"]
KEY_FIELDS = ("keyId", "type", "usage", "key", "displayName", "startDateTime", "endDateTime", "customKeyIdentifier")


def _iso(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value, field):
    if value is None:
        return None
    try:
        return datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise ApiError(400, "Request_BadRequest", f"Invalid value specified for property '{field}'.") from None


def registrations(tenant) -> dict:
    """object id -> app registration record, kept on the tenant."""
    if not hasattr(tenant, "app_registrations"):
        tenant.app_registrations = {}
        tenant.app_role_assignments = []
    return tenant.app_registrations


def graph_service_principal(tenant) -> str:
    """The Microsoft Graph service principal of the tenant (present in every tenant), created on first use."""
    oid = stable_id(tenant.id, "microsoft-graph-service-principal")
    if oid not in tenant.directory:
        tenant.directory[oid] = {"type": "ServicePrincipal", "display_name": "Microsoft Graph",
                                 "app_id": MICROSOFT_GRAPH_APP_ID, "created_at": 0}
    return oid


def _need(g, perms: set, admin_roles: set, what: str):
    principal = g.principal
    if not principal["permissions"] & perms:
        raise ApiError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
    if principal["kind"] == "user" and what and not principal["wids"] & admin_roles:
        # Delegated permissions never exceed the user's own rights (ASSUMED body; Graph's usual 403 text).
        raise ApiError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


def route(g, rest):
    """The response for the paths this module serves, or None."""
    if not rest:
        return None
    head = rest[0].lower()
    if head == "applications":
        graph_service_principal(g.tenant)
        return applications(g, rest[1:])
    if head == "serviceprincipals":
        graph_service_principal(g.tenant)
        if len(rest) == 1 and g.req.method == "POST":
            return create_service_principal(g)
        if len(rest) == 3 and rest[2].lower() == "approleassignments":
            return app_role_assignments(g, rest[1].lower())
        if len(rest) == 4 and rest[2].lower() == "approleassignments" and g.req.method == "DELETE":
            return delete_app_role_assignment(g, rest[1].lower(), rest[3])
    if head.startswith("serviceprincipals("):
        graph_service_principal(g.tenant)
    return None


# ---- applications -------------------------------------------------------------------------------------------------
def _key_json(key) -> dict:
    out = {k: key.get(k) for k in KEY_FIELDS}
    out["key"] = None  # Graph does not return the key material of a keyCredential
    out["startDateTime"] = _iso(key["start"])
    out["endDateTime"] = _iso(key["end"])
    return out


def _app_json(app) -> dict:
    return {"id": app["id"], "appId": app["appId"], "displayName": app["displayName"],
            "signInAudience": app["signInAudience"], "notes": app.get("notes"),
            "keyCredentials": [_key_json(k) for k in app["keyCredentials"]],
            "createdDateTime": _iso(app["created"])}


def _find_app(g, object_id):
    app = registrations(g.tenant).get(object_id.lower())
    if app is None:
        raise ApiError(404, "Request_ResourceNotFound",
                       f"Resource '{object_id}' does not exist or one of its queried reference-property objects are "
                       "not present.")
    return app


def applications(g, tail):
    from .graph_common import _collection

    method = g.req.method
    apps = registrations(g.tenant)
    if not tail and method == "GET":
        _need(g, APP_READ, set(), "")
        items = [{"@odata.type": "#microsoft.graph.application", **_app_json(a)} for a in apps.values()]
        resp = _collection(g, items, "microsoft.graph.application", APP_FIELDS, "applications")
        for v in resp.body["value"]:
            v.pop("@odata.type", None)
        return resp
    if not tail and method == "POST":
        _need(g, APP_WRITE, APP_ADMIN_ROLES, "applications")
        body = _body(g, {"displayName", "signInAudience", "notes", "keyCredentials"})
        name = body.get("displayName")
        if not isinstance(name, str) or not name.strip():
            raise ApiError(400, "Request_BadRequest", "Property 'displayName' is required.")
        object_id = str(uuid.uuid4())
        app = {"id": object_id, "appId": str(uuid.uuid4()), "displayName": name,
               "signInAudience": body.get("signInAudience") or "AzureADMyOrg", "notes": body.get("notes"),
               "keyCredentials": [], "federated": [], "created": g.emu.now()}
        app["keyCredentials"] = _keys(g, app, body.get("keyCredentials") or [])
        apps[object_id] = app
        return Response(201, {"@odata.context": f"{g.root}#applications/$entity", **_app_json(app)})
    app = _find_app(g, tail[0])
    if len(tail) == 1 and method == "GET":
        _need(g, APP_READ, set(), "")
        return Response(200, {"@odata.context": f"{g.root}#applications/$entity", **_app_json(app)})
    if len(tail) == 1 and method == "PATCH":
        _need(g, APP_WRITE, APP_ADMIN_ROLES, "applications")
        body = _body(g, {"displayName", "notes", "keyCredentials"})
        if "keyCredentials" in body:
            app["keyCredentials"] = _keys(g, app, body["keyCredentials"] or [])
        for key in ("displayName", "notes"):
            if key in body:
                app[key] = body[key]
        _sync_sign_in(g.tenant, app)
        return Response(204)
    if len(tail) == 1 and method == "DELETE":
        # learn: graph/api/application-delete (the app goes to deleted items; its service principal goes too).
        _need(g, APP_WRITE, APP_ADMIN_ROLES, "applications")
        apps.pop(app["id"], None)
        sp = app.get("service_principal")
        if sp:
            g.tenant.directory.pop(sp, None)
            g.tenant.apps.pop(app["appId"], None)
        return Response(204)
    if len(tail) == 2 and tail[1].lower() == "federatedidentitycredentials":
        return federated_credentials(g, app)
    raise ApiError(400, "BadRequest", f"Resource not found for the segment '{tail[-1]}'.")


def _body(g, writable) -> dict:
    body = g.req.json()
    if not isinstance(body, dict):
        raise ApiError(400, "BadRequest", "The request body must be a JSON object.")
    for key in body:
        if not key.startswith("@odata.") and key not in writable:
            raise ApiError(400, "BadRequest", f"Property '{key}' is not supported by the sandbox on this request.")
    return body


def _keys(g, app, sent) -> list:
    """The new keyCredentials collection (PATCH replaces it). An entry naming an existing keyId may leave out `key`
    and keeps that certificate (ASSUMED: docs/sandbox.md); a new entry needs the certificate (`key`, base64 DER)."""
    from cryptography import x509

    existing = {k["keyId"]: k for k in app["keyCredentials"]}
    out = []
    for entry in sent:
        if not isinstance(entry, dict):
            raise ApiError(400, "Request_BadRequest", "Invalid value specified for property 'keyCredentials'.")
        key_id = str(entry.get("keyId") or uuid.uuid4()).lower()
        if entry.get("key") is None and key_id in existing:
            out.append(existing[key_id])
            continue
        if entry.get("type") != "AsymmetricX509Cert" or entry.get("usage") != "Verify":
            raise ApiError(400, "Request_BadRequest", "Only keyCredentials of type AsymmetricX509Cert with usage "
                                                      "Verify are supported by the sandbox.")
        try:
            der = base64.b64decode(entry.get("key") or "", validate=True)
            cert = x509.load_der_x509_certificate(der)
        except ValueError:
            raise ApiError(400, "Request_BadRequest", "Invalid value specified for property 'key' of resource "
                                                      "'KeyCredential'.") from None
        start = _parse_time(entry.get("startDateTime"), "startDateTime") or cert.not_valid_before_utc.timestamp()
        end = _parse_time(entry.get("endDateTime"), "endDateTime") or cert.not_valid_after_utc.timestamp()
        if end > cert.not_valid_after_utc.timestamp() + 1 or start < cert.not_valid_before_utc.timestamp() - 1:
            raise ApiError(400, "Request_BadRequest", "Key credential end date is invalid.")
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.serialization import Encoding
        out.append({"keyId": key_id, "type": "AsymmetricX509Cert", "usage": "Verify",
                    "displayName": entry.get("displayName"), "start": start, "end": end,
                    # Edm.Binary (base64); the certificate's SHA-1 thumbprint unless the client set one.
                    "customKeyIdentifier": entry.get("customKeyIdentifier")
                    or base64.b64encode(cert.fingerprint(hashes.SHA1())).decode(),  # noqa: S303
                    "pem": cert.public_bytes(Encoding.PEM)})
    return out


def federated_credentials(g, app):
    if g.req.method == "GET":
        _need(g, APP_READ, set(), "")
        return Response(200, {"@odata.context": f"{g.root}#applications('{app['id']}')/federatedIdentityCredentials",
                              "value": [dict(f) for f in app["federated"]]})
    if g.req.method != "POST":
        raise ApiError(405, "MethodNotAllowed", f"The HTTP method '{g.req.method}' is not allowed here.")
    _need(g, APP_WRITE, APP_ADMIN_ROLES, "applications")
    body = _body(g, {"name", "issuer", "subject", "audiences", "description"})
    for key in ("name", "issuer", "subject"):
        if not isinstance(body.get(key), str) or not body[key]:
            raise ApiError(400, "Request_BadRequest", f"Property '{key}' is required.")
    if any(f["name"].lower() == body["name"].lower() for f in app["federated"]):
        raise ApiError(409, "Request_MultipleObjectsWithSameKeyValue",
                       "FederatedIdentityCredential with name " + body["name"] + " already exists.")
    if len(app["federated"]) >= 20:  # the resource page: at most 20 per application
        raise ApiError(400, "Request_BadRequest", "The maximum number of federated identity credentials is 20.")
    fic = {"id": str(uuid.uuid4()), "name": body["name"], "issuer": body["issuer"], "subject": body["subject"],
           "audiences": list(body.get("audiences") or ["api://AzureADTokenExchange"]),
           "description": body.get("description")}
    app["federated"].append(fic)
    _sync_sign_in(g.tenant, app)
    return Response(201, {"@odata.context": f"{g.root}#applications('{app['id']}')/federatedIdentityCredentials/"
                                            "$entity", **fic})


# ---- service principals and app role assignments --------------------------------------------------------------
def create_service_principal(g):
    _need(g, APP_WRITE, APP_ADMIN_ROLES, "servicePrincipals")
    body = _body(g, {"appId", "tags", "accountEnabled"})
    app_id = str(body.get("appId") or "").lower()
    app = next((a for a in registrations(g.tenant).values() if a["appId"] == app_id), None)
    if app is None:
        raise ApiError(400, "Request_BadRequest", "The appId '" + app_id + "' of the service principal does not "
                                                  "reference a valid application object.")
    if any(o.get("app_id") == app_id and o["type"] == "ServicePrincipal" for o in g.tenant.directory.values()):
        raise ApiError(409, "Request_MultipleObjectsWithSameKeyValue",
                       "Another object with the same value for property servicePrincipalNames already exists.")
    oid = str(uuid.uuid4())
    g.tenant.directory[oid] = {"type": "ServicePrincipal", "display_name": app["displayName"], "app_id": app_id,
                               "created_at": g.emu.now()}
    app["service_principal"] = oid
    _sync_sign_in(g.tenant, app)
    from .graph_directory import sp_entity
    return Response(201, {"@odata.context": f"{g.root}#servicePrincipals/$entity",
                          **sp_entity(g, oid, g.tenant.directory[oid])})


def _assignment_json(g, a) -> dict:
    principal = g.tenant.directory.get(a["principalId"]) or {}
    resource = g.tenant.directory.get(a["resourceId"]) or {}
    return {"id": a["id"], "appRoleId": a["appRoleId"], "createdDateTime": _iso(a["created"]),
            "deletedDateTime": None, "principalDisplayName": principal.get("display_name"),
            "principalId": a["principalId"], "principalType": "ServicePrincipal",
            "resourceDisplayName": resource.get("display_name"), "resourceId": a["resourceId"]}


def app_role_assignments(g, sp_id):
    tenant = g.tenant
    registrations(tenant)
    obj = tenant.directory.get(sp_id)
    if obj is None or obj["type"] != "ServicePrincipal":
        raise ApiError(404, "Request_ResourceNotFound", f"Resource '{sp_id}' does not exist or one of its queried "
                                                        "reference-property objects are not present.")
    mine = [a for a in tenant.app_role_assignments if a["principalId"] == sp_id]
    if g.req.method == "GET":
        _need(g, APP_READ, set(), "")
        return Response(200, {"@odata.context": f"{g.root}#servicePrincipals('{sp_id}')/appRoleAssignments",
                              "value": [_assignment_json(g, a) for a in mine]})
    if g.req.method != "POST":
        raise ApiError(405, "MethodNotAllowed", f"The HTTP method '{g.req.method}' is not allowed here.")
    _need(g, GRANT_WRITE, GRANT_ADMIN_ROLES, "appRoleAssignments")
    body = _body(g, {"principalId", "resourceId", "appRoleId"})
    if str(body.get("principalId") or "").lower() != sp_id:
        raise ApiError(400, "Request_BadRequest", "The principalId must be the service principal in the URL.")
    resource_id = str(body.get("resourceId") or "").lower()
    role_id = str(body.get("appRoleId") or "").lower()
    if resource_id != graph_service_principal(tenant):
        raise ApiError(400, "Request_BadRequest", "The sandbox grants app roles of Microsoft Graph only.")
    if role_id not in GRAPH_APP_ROLES:
        raise ApiError(400, "Request_BadRequest", "Permission entry on the resource is not found.")
    if any(a["appRoleId"] == role_id and a["resourceId"] == resource_id for a in mine):
        raise ApiError(400, "Request_BadRequest", "Permission being assigned already exists on the object")
    a = {"id": base64.urlsafe_b64encode(uuid.uuid4().bytes * 2).decode().rstrip("="), "appRoleId": role_id,
         "principalId": sp_id, "resourceId": resource_id, "created": g.emu.now()}
    tenant.app_role_assignments.append(a)
    for app in registrations(tenant).values():
        if app.get("service_principal") == sp_id:
            _sync_sign_in(tenant, app)
    return Response(201, {"@odata.context": f"{g.root}#servicePrincipals('{sp_id}')/appRoleAssignments/$entity",
                          **_assignment_json(g, a)})


def delete_app_role_assignment(g, sp_id, assignment_id):
    """learn: graph/api/serviceprincipal-delete-approleassignments (204; the same permissions as granting)."""
    tenant = g.tenant
    registrations(tenant)
    _need(g, GRANT_WRITE, GRANT_ADMIN_ROLES, "appRoleAssignments")
    found = next((a for a in tenant.app_role_assignments if a["principalId"] == sp_id and a["id"] == assignment_id),
                 None)
    if found is None:
        raise ApiError(404, "Request_ResourceNotFound", f"Resource '{assignment_id}' does not exist or one of its "
                                                        "queried reference-property objects are not present.")
    tenant.app_role_assignments.remove(found)
    for app in registrations(tenant).values():
        if app.get("service_principal") == sp_id:
            _sync_sign_in(tenant, app)
    return Response(204)


def _sync_sign_in(tenant, app) -> None:
    """The sign-in record entra.py reads (tenant.apps), once the app has a service principal."""
    sp = app.get("service_principal")
    if not sp:
        return
    roles = [GRAPH_APP_ROLES[a["appRoleId"]] for a in getattr(tenant, "app_role_assignments", [])
             if a["principalId"] == sp]
    tenant.apps[app["appId"]] = {
        "client_id": app["appId"], "object_id": sp, "display_name": app["displayName"], "secret": None,
        "certificate": app["keyCredentials"][-1]["pem"] if app["keyCredentials"] else None,
        "certificates": [k["pem"] for k in app["keyCredentials"]],
        "federated_credentials": [{"issuer": f["issuer"], "subject": f["subject"], "audiences": f["audiences"],
                                   "issuer_keys": []} for f in app["federated"]],
        "graph_permissions": roles, "created_seconds_ago": 0, "public_client": False}
