"""Entra ID: discovery, client credentials (secret, certificate, federated), password grant, refresh,
user realm, managed identity, audiences per cloud, token expiry; Entra-shaped errors; secrets never logged."""

from __future__ import annotations

import base64
import json
import time

import pytest

from .api import ARM, GRAPH, GRAPH_CLI
from .ids import (C_APP, C_DOMAIN, C_PASSWORD, C_SECRET, C_SUB, C_TENANT, C_USER, C_USER_OID, F_TENANT)


def _claims(token):
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_discovery_by_guid_domain_and_organizations(demo):
    for key in (C_TENANT, C_DOMAIN, "organizations"):
        r = demo.request("GET", f"/{key}/v2.0/.well-known/openid-configuration")
        assert r.status == 200, r
        assert r.json["token_endpoint"].startswith(demo.url + "/")
        assert r.json["authorization_endpoint"] and r.json["issuer"]
    r = demo.request("GET", f"/{C_DOMAIN}/v2.0/.well-known/openid-configuration")
    assert r.json["token_endpoint"] == f"{demo.url}/{C_TENANT}/oauth2/v2.0/token"


def test_unknown_tenant(demo):
    r = demo.token_reply("00000000-1111-2222-3333-444444444444",
                         {"grant_type": "client_credentials", "client_id": C_APP, "client_secret": C_SECRET,
                          "scope": GRAPH})
    assert r.status == 400
    assert r.json["error"] == "invalid_request" and r.json["error_codes"] == [90002]
    assert r.json["error_description"].startswith("AADSTS90002:")
    assert {"timestamp", "trace_id", "correlation_id"} <= set(r.json)


def test_client_secret_token_claims(demo):
    r = demo.token_reply(C_TENANT, {"grant_type": "client_credentials", "client_id": C_APP,
                                    "client_secret": C_SECRET, "scope": ARM})
    assert r.status == 200, r
    assert r.json["token_type"] == "Bearer" and r.json["expires_in"] == 3600
    c = _claims(r.json["access_token"])
    assert c["tid"] == C_TENANT and c["aud"] == "https://management.azure.com" and c["idtyp"] == "app"
    assert c["appid"] == C_APP and c["exp"] - c["iat"] == 3600


def test_wrong_secret_is_invalid_client_and_never_logged(demo):
    demo.clear_log()
    r = demo.token_reply(C_TENANT, {"grant_type": "client_credentials", "client_id": C_APP,
                                    "client_secret": "wrong-secret-value-123", "scope": GRAPH})
    assert r.status == 401
    assert r.json["error"] == "invalid_client" and r.json["error_codes"] == [7000215]
    assert "AADSTS7000215: Invalid client secret provided" in r.json["error_description"]
    log = demo.log()
    assert log[-1]["body"]["client_secret"] == "***"
    assert log[-1]["status"] == 401 and log[-1]["service"] == "entra"
    assert "wrong-secret-value-123" not in json.dumps(log)
    assert "wrong-secret-value-123" not in r.raw.decode()


@pytest.mark.parametrize("form, status, error, code", [
    ({"grant_type": "client_credentials", "client_id": "11111111-1111-1111-1111-111111111111",
      "client_secret": "x", "scope": GRAPH}, 400, "unauthorized_client", 700016),
    ({"grant_type": "client_credentials", "client_id": C_APP, "client_secret": C_SECRET,
      "scope": "https://vault.azure.net/.default"}, 400, "invalid_resource", 500011),
    ({"grant_type": "client_credentials", "client_id": C_APP, "client_secret": C_SECRET}, 400, "invalid_request",
     900144),
    ({"grant_type": "client_credentials", "client_id": C_APP, "scope": GRAPH}, 401, "invalid_client", 7000218),
    ({"grant_type": "authorization_code", "client_id": C_APP, "scope": GRAPH}, 400, "unsupported_grant_type", 70003),
    ({"grant_type": "password", "client_id": GRAPH_CLI, "username": C_USER, "password": "nope", "scope": GRAPH},
     400, "invalid_grant", 50126),
    ({"grant_type": "password", "client_id": GRAPH_CLI, "username": "ghost@contoso.onmicrosoft.com", "password": "x",
      "scope": GRAPH}, 400, "invalid_grant", 50034),
])
def test_token_errors(demo, form, status, error, code):
    r = demo.token_reply(C_TENANT, form)
    assert (r.status, r.json["error"], r.json["error_codes"]) == (status, error, [code]), r


def test_national_cloud_audiences(launch, seed):
    seed["tenants"][0]["cloud"] = "gcc_high"
    seed["tenants"][1]["cloud"] = "gcc"
    api = launch(seed)
    base = {"grant_type": "client_credentials", "client_id": C_APP, "client_secret": C_SECRET}
    # GCC High: only the US Government audiences
    assert api.token_reply(C_TENANT, {**base, "scope": GRAPH}).json["error_codes"] == [500011]
    r = api.token_reply(C_TENANT, {**base, "scope": "https://graph.microsoft.us/.default"})
    assert r.status == 200 and _claims(r.json["access_token"])["aud"] == "https://graph.microsoft.us"
    arm = api.token_reply(C_TENANT, {**base, "scope": "https://management.usgovcloudapi.net/.default"})
    assert arm.status == 200
    r = api.call(arm.json["access_token"], "GET", f"/subscriptions/{C_SUB}", params={"api-version": "2022-12-01"})
    assert r.status == 200, r
    # GCC: commercial Graph, Azure Government ARM
    from .ids import F_APP, F_SECRET
    fb = {"grant_type": "client_credentials", "client_id": F_APP, "client_secret": F_SECRET}
    assert api.token_reply(F_TENANT, {**fb, "scope": GRAPH}).status == 200
    assert api.token_reply(F_TENANT, {**fb, "scope": ARM}).json["error_codes"] == [500011]
    assert api.token_reply(F_TENANT, {**fb, "scope": "https://management.usgovcloudapi.net//.default"}).status == 200


def test_password_grant_returns_id_token_client_info_and_refresh(demo):
    r = demo.token_reply(C_TENANT, {"grant_type": "password", "client_id": GRAPH_CLI,
                                    "username": C_USER, "password": C_PASSWORD,
                                    "scope": f"{GRAPH} offline_access openid profile"})
    assert r.status == 200, r
    body = r.json
    assert {"access_token", "refresh_token", "id_token", "client_info", "expires_in"} <= set(body)
    info = json.loads(base64.urlsafe_b64decode(body["client_info"] + "=" * (-len(body["client_info"]) % 4)))
    assert info == {"uid": C_USER_OID, "utid": C_TENANT}
    idt = _claims(body["id_token"])
    assert idt["preferred_username"] == C_USER and idt["tid"] == C_TENANT and idt["oid"] == C_USER_OID
    at = _claims(body["access_token"])
    assert at["idtyp"] == "user" and at["upn"] == C_USER and "CloudPC.ReadWrite.All" in at["scp"]
    # the refresh token yields a token for another resource the client may use (Graph Command Line Tools has no
    # consent for ARM in the demo: 65001), as Entra's multi-resource refresh tokens do
    r2 = demo.token_reply(C_TENANT, {"grant_type": "refresh_token", "client_id": GRAPH_CLI,
                                     "refresh_token": body["refresh_token"], "scope": ARM})
    assert r2.status == 400 and r2.json["error_codes"] == [65001], r2
    bad = demo.token_reply(C_TENANT, {"grant_type": "refresh_token", "client_id": "x", "refresh_token": "nope",
                                      "scope": ARM})
    assert bad.status == 400 and bad.json["error"] == "invalid_grant"


def test_password_grant_on_organizations_resolves_the_tenant(demo):
    r = demo.token_reply("organizations", {"grant_type": "password", "client_id": GRAPH_CLI, "username": C_USER,
                                           "password": C_PASSWORD, "scope": GRAPH})
    assert r.status == 200 and _claims(r.json["access_token"])["tid"] == C_TENANT


def test_user_realm(demo):
    r = demo.request("GET", f"/common/userrealm/{C_USER}?api-version=1.0")
    assert r.status == 200 and r.json["account_type"] == "Managed" and r.json["domain_name"] == C_DOMAIN
    r = demo.request("GET", "/common/userrealm/someone@unknown.example?api-version=1.0")
    assert r.json["account_type"] == "Unknown"


def test_client_secret_credential_round_trip(demo):
    from azure.identity import ClientSecretCredential

    cred = ClientSecretCredential(C_TENANT, C_APP, C_SECRET, authority=demo.url, disable_instance_discovery=True,
                                  connection_verify=demo.ca)
    tok = cred.get_token(GRAPH)
    assert _claims(tok.token)["aud"] == "https://graph.microsoft.com"
    assert 3500 < tok.expires_on - time.time() <= 3600


def _self_signed(tmp_path):
    from tests.helpers.certs import make_certificate

    certificate = make_certificate("w365-automation", valid_days=1)
    (tmp_path / "app-cert.pem").write_text(certificate.cert_pem)
    (tmp_path / "app-cert-and-key.pem").write_text(certificate.client_pem())
    return tmp_path / "app-cert-and-key.pem"


def test_certificate_and_federated_credentials(launch, seed, tmp_path):
    from azure.core.exceptions import ClientAuthenticationError
    from azure.identity import CertificateCredential, ClientAssertionCredential

    bundle = _self_signed(tmp_path)
    app = seed["tenants"][0]["apps"][0]
    app.pop("secret")
    app["certificate"] = (tmp_path / "app-cert.pem").read_text()  # PEM text: the control API reads no files
    app["federated_credentials"] = [{"issuer": "https://token.actions.githubusercontent.com",
                                     "subject": "repo:contoso/w365:environment:prod"}]
    api = launch(seed)
    common = dict(authority=api.url, disable_instance_discovery=True, connection_verify=api.ca)
    cert_cred = CertificateCredential(C_TENANT, C_APP, certificate_path=str(bundle), **common)
    assert _claims(cert_cred.get_token(ARM).token)["appid"] == C_APP
    # a certificate the app does not know is refused
    (tmp_path / "other").mkdir()
    other = _self_signed(tmp_path / "other")
    bad = CertificateCredential(C_TENANT, C_APP, certificate_path=str(other), **common)
    with pytest.raises(ClientAuthenticationError, match="AADSTS700027"):
        bad.get_token(ARM)

    def assertion(sub="repo:contoso/w365:environment:prod"):
        header = base64.urlsafe_b64encode(b'{"alg":"RS256","typ":"JWT"}').rstrip(b"=").decode()
        claims = {"iss": "https://token.actions.githubusercontent.com", "sub": sub,
                  "aud": "api://AzureADTokenExchange", "exp": int(time.time()) + 300}
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return f"{header}.{body}.c2ln"

    fed = ClientAssertionCredential(C_TENANT, C_APP, assertion, **common)
    assert _claims(fed.get_token(GRAPH).token)["oid"] == app["object_id"]
    wrong = ClientAssertionCredential(C_TENANT, C_APP, lambda: assertion("repo:evil/fork:ref:main"), **common)
    with pytest.raises(ClientAuthenticationError, match="AADSTS70021"):
        wrong.get_token(GRAPH)


def _signed_assertion(key, alg, claims):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    def enc(raw):
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    signing_input = f"{enc(json.dumps({'alg': alg, 'typ': 'JWT', 'kid': 'k1'}).encode())}." \
                    f"{enc(json.dumps(claims).encode())}".encode()
    if alg == "ES256":
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    else:
        signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input.decode()}.{enc(signature)}"


def test_federated_assertions_are_verified_with_the_issuers_keys(launch, seed, tmp_path):
    """When the seed gives the issuer's keys (what Entra fetches from the issuer's JWKS), the signature counts."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    issuer = "https://oidc.prod-aks.azure.com/contoso/"
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    (tmp_path / "issuer-ec.pem").write_bytes(ec_key.public_key().public_bytes(*public))
    app = seed["tenants"][0]["apps"][0]
    app["federated_credentials"] = [
        {"issuer": issuer, "subject": "system:serviceaccount:w365:runner",
         # two keys, as during a rotation (PEM text: a seed sent to the control API names no file outside the
         # start-up seed's directory; paths in seed files are covered in test_process.py)
         "issuer_keys": [rsa_key.public_key().public_bytes(*public).decode(),
                         (tmp_path / "issuer-ec.pem").read_text()]},
        {"issuer": "https://token.actions.githubusercontent.com", "subject": "repo:contoso/w365:ref:main"}]
    api = launch(seed)

    def ask(assertion):
        return api.token_reply(C_TENANT, {"grant_type": "client_credentials", "client_id": C_APP, "scope": GRAPH,
                                          "client_assertion_type":
                                              "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                                          "client_assertion": assertion})

    claims = {"iss": issuer, "sub": "system:serviceaccount:w365:runner", "aud": "api://AzureADTokenExchange",
              "exp": int(time.time()) + 600, "nbf": int(time.time()) - 5}
    for key, alg in ((rsa_key, "RS256"), (ec_key, "ES256")):
        r = ask(_signed_assertion(key, alg, claims))
        assert r.status == 200, r
        assert _claims(r.json["access_token"])["oid"] == app["object_id"]
    forged = ask(_signed_assertion(attacker, "RS256", claims))
    assert forged.status == 401 and forged.json["error"] == "invalid_client", forged
    assert forged.json["error_codes"] == [50013] and "signature validation" in forged.json["error_description"]
    tampered = _signed_assertion(rsa_key, "RS256", claims).split(".")
    tampered[1] = base64.urlsafe_b64encode(json.dumps({**claims, "exp": int(time.time()) + 86400})
                                           .encode()).rstrip(b"=").decode()
    assert ask(".".join(tampered)).json["error_codes"] == [50013]  # a longer life, but the signature breaks
    unsigned = _signed_assertion(rsa_key, "RS256", claims).rsplit(".", 1)[0] + ".c2ln"
    assert ask(unsigned).json["error_codes"] == [50013]
    expired = ask(_signed_assertion(rsa_key, "RS256", {**claims, "exp": int(time.time()) - 3600}))
    assert expired.status == 400 and expired.json["error_codes"] == [700024]
    early = ask(_signed_assertion(rsa_key, "RS256", {**claims, "nbf": int(time.time()) + 3600}))
    assert early.status == 400 and early.json["error_codes"] == [700024]  # not valid yet (beyond the skew)
    # an issuer without keys in the seed is still matched on iss/sub/aud only (the sandbox can't fetch its JWKS)
    gh = {**claims, "iss": "https://token.actions.githubusercontent.com", "sub": "repo:contoso/w365:ref:main"}
    assert ask(_signed_assertion(attacker, "RS256", gh)).status == 200
    state = api.state()
    fcs = next(a for a in state["tenants"][0]["apps"] if a["client_id"] == C_APP)["federated_credentials"]
    assert [fc["issuer_keys"] for fc in fcs] == [2, 0]  # counted, not dumped


def test_federated_issuer_keys_are_validated_on_load(launch, seed):
    seed["tenants"][0]["apps"][0]["federated_credentials"] = [
        {"issuer": "https://issuer.example", "subject": "s", "issuer_keys": ["-----BEGIN PUBLIC KEY-----\nnope\n"
                                                                             "-----END PUBLIC KEY-----\n"]}]
    r = launch().request("POST", "/_emulator/reset", body={"seed": seed})
    assert r.status == 400 and r.json["error"]["code"] == "InvalidSeed"
    assert "tenants[0].apps[0].federated_credentials[0].issuer_keys[0]" in r.json["error"]["message"]


def test_managed_identity_app_service_protocol(launch, seed, monkeypatch):
    from azure.identity import ManagedIdentityCredential

    seed["tenants"][0]["managed_identities"] = [
        {"client_id": "5d1b6f0e-3c1a-4e8e-9f57-6c2b1d0a9e11", "object_id": "7a2c3e4f-5b6d-4e7f-8a9b-0c1d2e3f4a5b",
         "system_assigned": True},
        {"client_id": "6e2c7a1f-4d2b-4f9f-8a68-7d3c2e1b0f22", "object_id": "8b3d4f5a-6c7e-4f8a-9bac-1d2e3f4a5b6c"},
    ]
    seed["tenants"][0]["role_assignments"].append(
        {"principal_id": "8b3d4f5a-6c7e-4f8a-9bac-1d2e3f4a5b6c", "role": "Reader", "scope": f"/subscriptions/{C_SUB}"})
    api = launch(seed)
    header = api.control("GET", "info")["identity_header"]
    assert header == api.proc.identity_header
    monkeypatch.setenv("IDENTITY_ENDPOINT", f"{api.url}/_msi/{C_TENANT}/token")
    monkeypatch.setenv("IDENTITY_HEADER", header)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", api.ca)
    system = ManagedIdentityCredential().get_token(GRAPH)
    assert _claims(system.token)["oid"] == "7a2c3e4f-5b6d-4e7f-8a9b-0c1d2e3f4a5b"
    user_assigned = ManagedIdentityCredential(client_id="6e2c7a1f-4d2b-4f9f-8a68-7d3c2e1b0f22").get_token(ARM)
    assert _claims(user_assigned.token)["oid"] == "8b3d4f5a-6c7e-4f8a-9bac-1d2e3f4a5b6c"
    r = api.call(user_assigned.token, "GET", f"/subscriptions/{C_SUB}", params={"api-version": "2022-12-01"})
    assert r.status == 200, r
    # without the header the endpoint refuses
    r = api.request("GET", f"/_msi/{C_TENANT}/token?api-version=2019-08-01&resource=https://graph.microsoft.com")
    assert r.status == 401


def test_token_expiry_and_refresh(launch, seed):
    from azure.identity import ClientSecretCredential
    from azure.mgmt.network import NetworkManagementClient

    seed["token_lifetime_seconds"] = 2
    api = launch(seed)
    r = api.token_reply(C_TENANT, {"grant_type": "client_credentials", "client_id": C_APP,
                                   "client_secret": C_SECRET, "scope": ARM})
    token = r.json["access_token"]
    assert r.json["expires_in"] == 2
    assert api.call(token, "GET", f"/subscriptions/{C_SUB}", params={"api-version": "2022-12-01"}).status == 200
    g = api.token_reply(C_TENANT, {"grant_type": "client_credentials", "client_id": C_APP,
                                   "client_secret": C_SECRET, "scope": GRAPH}).json["access_token"]
    time.sleep(2.2)
    r = api.call(token, "GET", f"/subscriptions/{C_SUB}", params={"api-version": "2022-12-01"})
    assert r.status == 401 and r.code == "ExpiredAuthenticationToken"
    assert "www-authenticate" in r.headers
    r = api.call(g, "GET", "/v1.0/deviceManagement/virtualEndpoint/onPremisesConnections")
    assert r.status == 401 and r.code == "InvalidAuthenticationToken"
    # azure-identity notices the expiry and fetches a new token by itself
    cred = ClientSecretCredential(C_TENANT, C_APP, C_SECRET, authority=api.url, disable_instance_discovery=True,
                                  connection_verify=api.ca)
    client = NetworkManagementClient(cred, C_SUB, base_url=api.url, credential_scopes=[ARM],
                                     connection_verify=api.ca)
    assert client.virtual_networks.get("rg-cpc-weu", "vnet-cpc-weu").name == "vnet-cpc-weu"
    time.sleep(2.2)
    assert client.virtual_networks.get("rg-cpc-weu", "vnet-cpc-weu").name == "vnet-cpc-weu"
    posts = [e for e in api.log() if e["path"].endswith("/oauth2/v2.0/token")]
    assert len(posts) >= 4  # two raw requests above, then at least one per expiry for the credential
