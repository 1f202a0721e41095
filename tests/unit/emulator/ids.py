"""Names and IDs from w365_sandbox/seeds/demo.yml used by the behaviour tests."""

C_TENANT = "2e1dd80c-271a-4ed2-a9e1-2d0a0186cb1a"
C_DOMAIN = "contoso.onmicrosoft.com"
C_SUB = "2867b4e9-cc24-4ebe-be77-6832fe3fdfca"
C_APP = "548bdf1b-a7a3-4b03-8676-e895cbb33cea"
C_APP_OID = "a88ab93e-abb7-4bb0-ad45-b528f9e7d371"
C_SECRET = "sandbox-secret-contoso-admin-NOT-REAL"
C_READER = "ab9890be-3666-47da-a2f8-d1cd893f54bf"
C_READER_OID = "3ee150cd-3eeb-475b-9445-203ec4514414"
C_READER_SECRET = "sandbox-secret-contoso-reader-NOT-REAL"
C_USER = "admin@contoso.onmicrosoft.com"
C_USER_OID = "ee265e5d-ed86-4a1a-8bc5-99ca81fa3953"
C_PASSWORD = "Sandbox-Passw0rd-contoso-NOT-REAL"
C_W365 = "1f621d28-5d6c-4612-90b8-465043dedbee"

F_TENANT = "9aed38a3-e5cb-4daf-b1a0-6069761673f7"
F_SUB = "6db1fd1a-e931-483a-b0ba-f673808504d3"
F_APP = "745c988c-8aed-4493-97a1-0ba8a2c9df3c"
F_SECRET = "sandbox-secret-fabrikam-admin-NOT-REAL"
F_USER = "admin@fabrikam.onmicrosoft.com"
F_PASSWORD = "Sandbox-Passw0rd-fabrikam-NOT-REAL"
F_W365 = "03df09b8-24b4-4063-8020-ebc022cb360a"
F_JOIN_UPN = "svc-cpcjoin@corp.fabrikam.com"
F_JOIN_PASSWORD = "Sandbox-Join-fabrikam-NOT-REAL"

W365_APP_ID = "0af06dc6-e4b5-4f28-818e-e78e62d137a5"
ROLE_READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
ROLE_NIC = "1f135831-5bbe-4924-9016-264044c00788"
ROLE_NET_USER = "7eabc9a4-85f7-4f71-b8ab-75daaccc1033"
ROLE_OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"


def rg_id(sub, rg):
    return f"/subscriptions/{sub}/resourceGroups/{rg}"


def vnet_id(sub, rg, vnet):
    return f"{rg_id(sub, rg)}/providers/Microsoft.Network/virtualNetworks/{vnet}"


def subnet_id(sub, rg, vnet, subnet="cloudpcs"):
    return f"{vnet_id(sub, rg, vnet)}/subnets/{subnet}"


def role_def(sub, guid):
    return f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


def anc_body(name, sub, rg, vnet, subnet="cloudpcs", **extra):
    body = {"displayName": name, "connectionType": "azureADJoin", "subscriptionId": sub,
            "resourceGroupId": rg_id(sub, rg), "virtualNetworkId": vnet_id(sub, rg, vnet),
            "subnetId": subnet_id(sub, rg, vnet, subnet)}
    body.update(extra)
    return body
