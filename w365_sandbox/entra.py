"""Entra ID: OpenID discovery, the v2.0 token endpoint (secret, certificate, federated, password, refresh),
the user-realm lookup and an App-Service-style managed identity endpoint."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets

from .errors import ApiError, EntraError
from .messages import Response
from .tokens import api_of, b64url, normalize_resource, now_epoch, split_jwt, unsigned_jwt

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
NON_RESOURCE_SCOPES = {"openid", "profile", "offline_access", "email"}

# Microsoft first-party public clients. The Azure CLI and Azure PowerShell are pre-authorized for a fixed set of
# Graph scopes without any Cloud PC one (Azure/azure-cli issues 22775, 20572, 23906 show the `scp` of their Graph
# tokens) and for Azure Service Management `user_impersonation`; no tenant consent changes that.
AZURE_CLI = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
AZURE_POWERSHELL = "1950a258-227b-4e31-a9cf-717495945fc2"
GRAPH_COMMAND_LINE_TOOLS = "14d82eec-204b-4c2f-b7e8-296a70dab67e"
PREAUTHORIZED_GRAPH_SCOPES = ["AuditLog.Read.All", "Directory.AccessAsUser.All", "Group.ReadWrite.All",
                              "User.ReadWrite.All"]
FIRST_PARTY = {
    AZURE_CLI: {"name": "Microsoft Azure CLI", "graph": PREAUTHORIZED_GRAPH_SCOPES, "arm": ["user_impersonation"]},
    AZURE_POWERSHELL: {"name": "Microsoft Azure PowerShell", "graph": PREAUTHORIZED_GRAPH_SCOPES,
                       "arm": ["user_impersonation"]},
    # Consent-driven: the scopes come from the tenant's consents (none pre-authorized).
    GRAPH_COMMAND_LINE_TOOLS: {"name": "Microsoft Graph Command Line Tools", "graph": None, "arm": None},
}
# Authentication method references (access token claims reference: `amr`).
AMR_PASSWORD = ["pwd"]
AMR_MFA = ["pwd", "mfa"]


def handle(emu, req) -> Response:
    parts = [p for p in req.path.split("/") if p]
    if len(parts) >= 2 and parts[0] == "_msi":
        return managed_identity(emu, req, parts)
    if len(parts) == 3 and parts[0].lower() == "common" and parts[1].lower() == "userrealm" and req.method == "GET":
        return user_realm(emu, req, parts[2])
    if len(parts) == 4 and parts[1:] == ["v2.0", ".well-known", "openid-configuration"] and req.method == "GET":
        return discovery(emu, req, parts[0])
    if len(parts) == 4 and [p.lower() for p in parts[1:]] == ["discovery", "v2.0", "keys"]:
        return Response(200, {"keys": []})
    if len(parts) == 4 and [p.lower() for p in parts[1:]] == ["oauth2", "v2.0", "devicecode"]:
        if req.method != "POST":
            raise EntraError(400, "invalid_request", 900561,
                             "The endpoint only accepts POST requests. Received a GET request.")
        return device_code(emu, req, parts[0])
    if len(parts) == 4 and [p.lower() for p in parts[1:]] == ["oauth2", "v2.0", "token"]:
        if req.method != "POST":
            raise EntraError(400, "invalid_request", 900561,
                             "The endpoint only accepts POST requests. Received a GET request.")
        return token(emu, req, parts[0])
    raise EntraError(404, "invalid_request", 900023, f"No sign-in endpoint at {req.path}.")


def _tenant_for(emu, key: str, req):
    tenant = emu.tenant_by_key(key)
    if tenant is None:
        raise EntraError(400, "invalid_request", 90002,
                         f"Tenant '{key}' not found. Check to make sure you have the correct tenant ID and are "
                         "signing into the correct cloud. Check with your subscription administrator, this may "
                         "happen if there are no active subscriptions for the tenant.")
    req.tenant = tenant.id
    return tenant


def discovery(emu, req, key: str) -> Response:
    if key.lower() in ("common", "organizations", "consumers"):
        tid = "{tenantid}"
        seg = key.lower()
    else:
        tenant = emu.tenant_by_key(key)
        if tenant is None:
            raise EntraError(400, "invalid_tenant", 90002,
                             f"Tenant '{key}' not found. Check to make sure you have the correct tenant ID and "
                             "are signing into the correct cloud.")
        req.tenant = tenant.id
        tid = seg = tenant.id
    base = req.base_url
    return Response(200, {
        "token_endpoint": f"{base}/{seg}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": f"{base}/{seg}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{base}/{tid}/v2.0",
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": f"{base}/oidc/userinfo",
        "authorization_endpoint": f"{base}/{seg}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{base}/{seg}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{base}/{seg}/oauth2/v2.0/logout",
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username",
                             "name", "tid", "ver", "at_hash", "c_hash", "email"],
        "kerberos_endpoint": f"{base}/{seg}/kerberos",
        "tenant_region_scope": "EU",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    })


def user_realm(emu, req, upn: str) -> Response:
    domain = upn.rsplit("@", 1)[-1]
    tenant = emu.tenant_by_key(domain)
    if tenant is None:
        return Response(200, {"ver": "1.0", "account_type": "Unknown", "cloud_instance_name": "microsoftonline.com"})
    req.tenant = tenant.id
    return Response(200, {"ver": "1.0", "account_type": "Managed", "domain_name": tenant.domain,
                          "cloud_instance_name": "microsoftonline.com",
                          "cloud_audience_urn": "urn:federation:MicrosoftOnline"})


def _missing(param):
    return EntraError(400, "invalid_request", 900144,
                      f"The request body must contain the following parameter: '{param}'.")


def _resource_of(tenant, scope_text: str | None, param="scope"):
    """(normalized audience, api) for the single resource named by the scopes."""
    if not scope_text:
        raise _missing(param)
    resources = [s for s in scope_text.split() if s.lower() not in NON_RESOURCE_SCOPES]
    if len(resources) != 1:
        raise EntraError(400, "invalid_scope", 70011,
                         f"The provided value for the input parameter 'scope' is not valid. The scope {scope_text} "
                         "is not valid. Ask for the scopes of exactly one resource, such as "
                         "https://graph.microsoft.com/.default.")
    audience = normalize_resource(resources[0])
    api = api_of(tenant.cloud, audience)
    if api is None:
        raise EntraError(400, "invalid_resource", 500011,
                         f"The resource principal named {audience} was not found in the tenant named "
                         f"{tenant.display_name}. This can happen if the application has not been installed by the "
                         "administrator of the tenant or consented to by any user in the tenant. You might have sent "
                         "your authentication request to the wrong tenant.")
    return audience, api, resources[0]


def issue_access_token(emu, tenant, audience, api, *, oid, appid, kind, upn=None, permissions=(), wids=(),
                       amr=(), appidacr="1"):
    """A v1.0 access token with the claims Entra puts there (access token claims reference): `scp` (delegated,
    space separated), `roles` (application; only when the app holds some for this resource), `wids` (the user's
    directory role template IDs), `amr` (users: `pwd`, plus `mfa` after multifactor authentication), `appid`,
    `appidacr` (0 public client, 1 secret, 2 certificate), `tid`, `oid`, `idtyp` (`app` or `user`)."""
    now = now_epoch()
    lifetime = emu.seed["token_lifetime_seconds"]
    claims = {"aud": audience, "iss": f"https://sts.windows.net/{tenant.id}/", "iat": now, "nbf": now,
              "exp": now + lifetime, "tid": tenant.id, "oid": oid, "sub": oid, "appid": appid,
              "appidacr": appidacr, "idtyp": kind, "ver": "1.0", "api": api, "jti": secrets.token_hex(8)}
    if kind == "user":
        claims["upn"] = upn
        claims["scp"] = " ".join(permissions)
        claims["wids"] = list(wids)
        claims["amr"] = list(amr)
    elif permissions:
        claims["roles"] = list(permissions)
    return emu.signer.issue(claims), lifetime


def token(emu, req, key: str) -> Response:
    form = req.form()
    grant = form.get("grant_type")
    if not grant:
        raise _missing("grant_type")
    if key.lower() in ("common", "organizations", "consumers"):
        if grant != "password":
            raise EntraError(400, "invalid_request", 90014 if grant != "client_credentials" else 700016,
                             f"Use a tenant-specific endpoint for the {grant} grant, not /{key}.")
        domain = (form.get("username") or "").rsplit("@", 1)[-1]
        tenant = _tenant_for(emu, domain, req)
    else:
        tenant = _tenant_for(emu, key, req)
    if grant == "client_credentials":
        return _client_credentials(emu, req, tenant, form)
    if grant == "password":
        return _password(emu, req, tenant, form)
    if grant == "refresh_token":
        return _refresh(emu, req, tenant, form)
    if grant == DEVICE_CODE_GRANT:
        return _device_code_grant(emu, req, tenant, form)
    raise EntraError(400, "unsupported_grant_type", 70003,
                     f"The app requested an unsupported grant type '{grant}'.")


def _app_not_found(tenant, client_id) -> EntraError:
    return EntraError(400, "unauthorized_client", 700016,
                      f"Application with identifier '{client_id}' was not found in the directory "
                      f"'{tenant.display_name}'. This can happen if the application has not been installed by "
                      "the administrator of the tenant or consented to by any user in the tenant. You may have "
                      "sent your authentication request to the wrong tenant.")


def _app(tenant, client_id):
    if not client_id:
        raise _missing("client_id")
    app = tenant.apps.get(client_id.lower())
    if app is None:
        raise _app_not_found(tenant, client_id)
    return app


def _client_credentials(emu, req, tenant, form) -> Response:
    app = _app(tenant, form.get("client_id"))
    audience, api, _scope = _resource_of(tenant, form.get("scope"))
    secret = form.get("client_secret")
    assertion = form.get("client_assertion")
    if secret is not None:
        if app["secret"] is None or not hmac.compare_digest(secret.encode(), app["secret"].encode()):
            raise EntraError(401, "invalid_client", 7000215,
                             "Invalid client secret provided. Ensure the secret being sent in the request is the "
                             "client secret value, not the client secret ID, for a secret added to app "
                             f"'{app['client_id']}'.")
    elif assertion is not None:
        if form.get("client_assertion_type") != JWT_BEARER:
            raise EntraError(400, "invalid_request", 50027, "client_assertion_type must be " + JWT_BEARER + ".")
        _check_assertion(req, tenant, app, assertion)
    else:
        raise EntraError(401, "invalid_client", 7000218,
                         "The request body must contain the following parameter: 'client_assertion' or "
                         "'client_secret'.")
    req.principal_kind = "app"
    # Application permissions are per resource: the app's Graph permissions go in Graph tokens only.
    access, lifetime = issue_access_token(emu, tenant, audience, api, oid=app["object_id"],
                                          appid=app["client_id"], kind="app",
                                          permissions=app["graph_permissions"] if api == "graph" else (),
                                          appidacr="1" if secret is not None else "2")
    return Response(200, {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime,
                          "access_token": access})


def _check_assertion(req, tenant, app, assertion: str) -> None:
    try:
        header, claims, signing_input, signature = split_jwt(assertion)
    except (ValueError, UnicodeDecodeError):
        raise EntraError(400, "invalid_request", 50027, "Invalid JWT token. The token is not in a valid format.") \
            from None
    now = now_epoch()
    exp = claims.get("exp")
    nbf = claims.get("nbf")
    # Entra allows five minutes of clock skew either way.
    if not isinstance(exp, (int, float)) or exp < now - 300 or (isinstance(nbf, (int, float)) and nbf > now + 300):
        raise EntraError(400, "invalid_client", 700024, "Client assertion is not within its valid time range.")
    iss, sub = claims.get("iss"), claims.get("sub")
    if iss == app["client_id"] or (isinstance(iss, str) and iss.lower() == app["client_id"]):
        # Certificate credential: signed with the private key of the app's registered certificate.
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        if not any(isinstance(a, str) and a.rstrip("/").lower().endswith("/oauth2/v2.0/token") for a in auds):
            raise EntraError(400, "invalid_client", 700021,
                             "Client assertion audience claim does not match Realm issuer.")
        if sub != iss:
            raise EntraError(400, "invalid_client", 700023, "Client assertion subject must equal its issuer.")
        if app["certificate"] is None:
            raise EntraError(401, "invalid_client", 700027,
                             "The certificate with identifier used to sign the client assertion is not registered "
                             f"on application {app['client_id']}.")
        _verify_signature(app, header, signing_input, signature)
        return
    for fc in app["federated_credentials"]:
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        if fc["issuer"] == iss and fc["subject"] == sub and any(a in fc["audiences"] for a in auds):
            if fc["issuer_keys"]:
                _verify_federated(fc, header, signing_input, signature)
            return
    raise EntraError(400, "invalid_request", 70021,
                     f"No matching federated identity record found for presented assertion. Assertion Issuer: "
                     f"'{iss}'. Assertion Subject: '{sub}'. Assertion Audience: '{claims.get('aud')}'.")


def _verify_federated(fc, header, signing_input: bytes, signature: bytes) -> None:
    """The seed gave the issuer's signing keys (what Entra would fetch from its JWKS): one must verify the
    assertion. Without them the sandbox cannot fetch external keys and matches on iss/sub/aud only."""
    from cryptography.hazmat.primitives import serialization

    keys = [serialization.load_pem_public_key(pem) for pem in fc["issuer_keys"]]
    if header.get("alg") not in ("RS256", "PS256", "ES256"):
        raise EntraError(401, "invalid_client", 50013,
                         f"Assertion failed signature validation. [Reason - The signing algorithm "
                         f"'{header.get('alg')}' is not supported.]")
    if not any(_signature_ok(key, header.get("alg"), signing_input, signature) for key in keys):
        raise EntraError(401, "invalid_client", 50013,
                         "Assertion failed signature validation. [Reason - No key of the issuer "
                         f"'{fc['issuer']}' verifies the signature.]")


def _signature_ok(key, alg, signing_input: bytes, signature: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    try:
        if isinstance(key, rsa.RSAPublicKey) and alg == "RS256":
            key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, rsa.RSAPublicKey) and alg == "PS256":
            key.verify(signature, signing_input,
                       padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH),
                       hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey) and alg == "ES256" and len(signature) == 64:
            der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
            key.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
        else:
            return False
    except InvalidSignature:
        return False
    return True


def _verify_signature(app, header, signing_input: bytes, signature: bytes) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    cert = x509.load_pem_x509_certificate(app["certificate"])
    thumbprints = {
        "x5t": b64url(cert.fingerprint(hashes.SHA1())),  # noqa: S303 - the JWT header names SHA-1 thumbprints
        "x5t#S256": b64url(cert.fingerprint(hashes.SHA256())),
    }
    # MSAL sends x5t as padded base64url; Entra accepts it with or without padding.
    sent = {k: str(header.get(k)).rstrip("=") for k in thumbprints if header.get(k)}
    if not sent or any(thumbprints[k] != v for k, v in sent.items()):
        raise EntraError(401, "invalid_client", 700027,
                         "The certificate with identifier used to sign the client assertion is not registered on "
                         f"application {app['client_id']}. [Reason - The key was not found.]")
    if not _signature_ok(cert.public_key(), header.get("alg"), signing_input, signature):
        raise EntraError(401, "invalid_client", 700027, "Client assertion failed signature validation.")


def _public_client(tenant, client_id):
    """(display name, first-party entry or None) of a client that may sign users in; raises Entra's error."""
    if not client_id:
        raise _missing("client_id")
    cid = client_id.lower()
    if cid in FIRST_PARTY:
        return FIRST_PARTY[cid]["name"], FIRST_PARTY[cid]
    app = tenant.apps.get(cid)
    if app is None:
        raise _app_not_found(tenant, client_id)
    if not app["public_client"]:
        # A confidential client must authenticate itself; user flows without a secret need "Allow public client
        # flows" on the app registration.
        raise EntraError(401, "invalid_client", 7000218,
                         "The request body must contain the following parameter: 'client_assertion' or "
                         "'client_secret'.")
    return app["display_name"], None


def delegated_scopes(tenant, client_id, upn, api) -> list:
    """The scopes a user's token for `api` carries through `client_id`: a first-party client's pre-authorized set,
    else the tenant-wide (admin) consents plus the user's own consents for that client and resource."""
    fp = FIRST_PARTY.get(client_id)
    if fp is not None and fp[api] is not None:
        return list(fp[api])
    scopes = []
    for grant in tenant.consents:
        if grant["client_id"] == client_id and grant["resource"] == api and grant["user"] in (None, upn.lower()):
            scopes.extend(s for s in grant["scopes"] if s not in scopes)
    return scopes


def _check_mfa(user, resource_label, amr):
    """Entra's answer when the user must do MFA and this sign-in did not (ROPC cannot)."""
    if user["mfa"] == "none" or "mfa" in amr:
        return
    if user["mfa"] == "unregistered":
        raise EntraError(400, "invalid_grant", 50079,
                         "Due to a configuration change made by your administrator, or because you moved to a new "
                         f"location, you must enroll in multi-factor authentication to access '{resource_label}'.")
    raise EntraError(400, "invalid_grant", 50076,
                     "Due to a configuration change made by your administrator, or because you moved to a new "
                     f"location, you must use multi-factor authentication to access '{resource_label}'.")


RESOURCE_APP_IDS = {"graph": "00000003-0000-0000-c000-000000000000", "arm": "797f4846-ba00-4fd7-ba43-dac1f8f63013"}


def _user_tokens(emu, req, tenant, user, client_id, audience, api, scope_text, amr):
    _check_mfa(user, RESOURCE_APP_IDS[api], amr)
    scopes = delegated_scopes(tenant, client_id, user["upn"], api)
    if not scopes:
        name = FIRST_PARTY.get(client_id, {}).get("name") or (tenant.apps.get(client_id) or {}).get(
            "display_name", client_id)
        raise EntraError(400, "invalid_grant", 65001,
                         f"The user or administrator has not consented to use the application with ID '{client_id}' "
                         f"named '{name}'. Send an interactive authorization request for this user and resource.")
    req.principal_kind = "user"
    access, lifetime = issue_access_token(emu, tenant, audience, api, oid=user["object_id"], appid=client_id,
                                          kind="user", upn=user["upn"], permissions=scopes,
                                          wids=user["directory_roles"], amr=amr, appidacr="0")
    refresh = secrets.token_urlsafe(32)
    emu.refresh_tokens[refresh] = {"tenant": tenant.id, "upn": user["upn"].lower(), "client_id": client_id,
                                   "amr": list(amr), "expires": now_epoch() + emu.seed["refresh_token_lifetime_seconds"]}
    now = now_epoch()
    id_token = unsigned_jwt({
        "aud": client_id, "iss": f"{req.base_url}/{tenant.id}/v2.0", "iat": now, "nbf": now, "exp": now + 3600,
        "name": user["display_name"], "oid": user["object_id"], "preferred_username": user["upn"],
        "sub": b64url(hashlib.sha256(f"{user['object_id']}:{client_id}".encode()).digest()[:24]),
        "tid": tenant.id, "ver": "2.0",
    })
    client_info = b64url(json.dumps({"uid": user["object_id"], "utid": tenant.id}).encode())
    return Response(200, {"token_type": "Bearer", "scope": " ".join(
        s for s in scope_text.split() if s.lower() not in ("openid", "profile", "offline_access")) + " openid profile",
        "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": access, "refresh_token": refresh,
        "id_token": id_token, "client_info": client_info})


def _password(emu, req, tenant, form) -> Response:
    client_id = form.get("client_id")
    _public_client(tenant, client_id)
    username = form.get("username")
    if not username:
        raise _missing("username")
    password = form.get("password")
    if password is None:
        raise _missing("password")
    audience, api, _scope = _resource_of(tenant, form.get("scope"))
    user = tenant.users.get(username.lower())
    if user is None:
        raise EntraError(400, "invalid_grant", 50034,
                         f"The user account {username} does not exist in the {tenant.domain} directory. To sign "
                         "into this application, the account must be added to the directory.")
    if not hmac.compare_digest(password.encode(), user["password"].encode()):
        raise EntraError(400, "invalid_grant", 50126, "Error validating credentials due to invalid username or "
                                                      "password.")
    return _user_tokens(emu, req, tenant, user, client_id.lower(), audience, api, form.get("scope"), AMR_PASSWORD)


def _refresh(emu, req, tenant, form) -> Response:
    rt = form.get("refresh_token")
    if not rt:
        raise _missing("refresh_token")
    record = emu.refresh_tokens.get(rt)
    if record is None or record["tenant"] != tenant.id:
        raise EntraError(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
    if record["expires"] <= now_epoch():
        raise EntraError(400, "invalid_grant", 700082,
                         "The refresh token has expired due to inactivity. The token was issued on "
                         f"{record.get('issued', 'an earlier date')} and was inactive for 90.00:00:00.")
    client_id = (form.get("client_id") or "").lower()
    if client_id and client_id != record["client_id"]:
        raise EntraError(400, "invalid_grant", 70000,
                         "Provided grant is invalid or malformed. The refresh token was issued to a different client.")
    user = tenant.users.get(record["upn"])
    if user is None:
        raise EntraError(400, "invalid_grant", 50034, "The user account no longer exists in the directory.")
    audience, api, _scope = _resource_of(tenant, form.get("scope"))
    # The refresh token carries the original sign-in's authentication methods: an MFA requirement that sign-in
    # did not satisfy is a re-prompt (50076), which a silent refresh cannot answer.
    return _user_tokens(emu, req, tenant, user, record["client_id"], audience, api, form.get("scope"),
                        record["amr"])


# ---- device authorization grant (learn: entra/identity-platform/v2-oauth2-device-code) -----------------------
def device_code(emu, req, key: str) -> Response:
    form = req.form()
    tenant = _tenant_for(emu, key, req)
    client_id = form.get("client_id")
    _public_client(tenant, client_id)
    scope = form.get("scope")
    _resource_of(tenant, scope)
    code = secrets.token_urlsafe(48)
    user_code = "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for dummy in range(9))
    lifetime = emu.seed["device_code_seconds"]
    interval = emu.seed["device_code_interval_seconds"]
    uri = f"{req.base_url}/devicelogin"
    emu.device_codes[code] = {"tenant": tenant.id, "client_id": client_id.lower(), "scope": scope,
                              "user_code": user_code, "expires": now_epoch() + lifetime, "interval": interval,
                              "last_poll": 0.0, "status": "pending", "upn": None, "mfa": False, "polls": 0}
    return Response(200, {"user_code": user_code, "device_code": code, "verification_uri": uri,
                          "expires_in": lifetime, "interval": interval,
                          "message": f"To sign in, use a web browser to open the page {uri} and enter the code "
                                     f"{user_code} to authenticate."})


def _device_code_grant(emu, req, tenant, form) -> Response:
    import time

    code = form.get("device_code")
    if not code:
        raise _missing("device_code")
    flow = emu.device_codes.get(code)
    if flow is None or flow["tenant"] != tenant.id:
        raise EntraError(400, "bad_verification_code", 70019, "The provided value for the input parameter "
                                                              "'device_code' is not valid.")
    now = time.time()
    if flow["expires"] <= now:
        emu.device_codes.pop(code, None)
        raise EntraError(400, "expired_token", 70020, "The provided value for the input parameter 'device_code' is "
                                                      "not valid. This device code has expired.")
    too_soon = now - flow["last_poll"] < flow["interval"] * 0.5  # MSAL waits the interval between polls
    flow["last_poll"] = now
    flow["polls"] += 1
    if flow["status"] == "declined":
        emu.device_codes.pop(code, None)
        raise EntraError(400, "authorization_declined", 70000, "The user has declined authorization.")
    if flow["status"] == "pending":
        if too_soon:
            raise EntraError(400, "slow_down", 70016, "The provided request has not yet been authorized by the "
                                                      "user; poll no faster than the interval.")
        raise EntraError(400, "authorization_pending", 70016, "The provided request has not yet been authorized by "
                                                              "the user. The user must input their code.")
    emu.device_codes.pop(code, None)
    user = tenant.users[flow["upn"]]
    audience, api, _scope = _resource_of(tenant, flow["scope"])
    return _user_tokens(emu, req, tenant, user, flow["client_id"], audience, api, flow["scope"],
                        AMR_MFA if flow["mfa"] else AMR_PASSWORD)


def managed_identity(emu, req, parts) -> Response:
    """App Service managed identity protocol (IDENTITY_ENDPOINT + IDENTITY_HEADER, api-version 2019-08-01).

    IDENTITY_ENDPOINT is `{sandbox}/_msi/{tenant}/token`; IDENTITY_HEADER is the value in the ready file.
    """
    if req.method != "GET" or len(parts) != 3 or parts[2] != "token":
        raise ApiError(404, "NotFound", "managed identity endpoint is GET /_msi/{tenant}/token")
    if not hmac.compare_digest((req.headers.get("x-identity-header") or "").encode(), emu.identity_header.encode()):
        return Response(401, {"statusCode": 401, "message": "Missing or invalid X-IDENTITY-HEADER."})
    tenant = emu.tenant_by_key(parts[1])
    if tenant is None:
        return Response(400, {"statusCode": 400, "message": f"Unknown tenant {parts[1]}."})
    req.tenant = tenant.id
    resource = req.q("resource")
    if not resource:
        return Response(400, {"statusCode": 400, "message": "The resource parameter is required."})
    client_id = req.q("client_id")
    object_id = req.q("object_id") or req.q("principal_id")
    identities = list(tenant.managed_identities.values())
    if client_id:
        mi = tenant.managed_identities.get(client_id.lower())
    elif object_id:
        mi = next((m for m in identities if m["object_id"] == object_id.lower()), None)
    else:
        mi = next((m for m in identities if m["system_assigned"]), None)
    if mi is None:
        return Response(400, {"statusCode": 400, "message": "No managed identity matches the request (seed "
                                                            "managed_identities; system_assigned: true for the "
                                                            "default one)."})
    audience = normalize_resource(resource)
    api = api_of(tenant.cloud, audience)
    if api is None:
        return Response(400, {"statusCode": 400, "message": f"AADSTS500011: The resource principal named {resource} "
                                                            "was not found in the tenant."})
    req.principal_kind = "app"
    access, lifetime = issue_access_token(emu, tenant, audience, api, oid=mi["object_id"], appid=mi["client_id"],
                                          kind="app", permissions=mi["graph_permissions"] if api == "graph" else (),
                                          appidacr="2")
    return Response(200, {"access_token": access, "expires_on": str(now_epoch() + lifetime), "resource": resource,
                          "token_type": "Bearer", "client_id": mi["client_id"]})
