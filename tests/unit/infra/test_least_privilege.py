"""Least privilege in the Bicep: the app's identity holds data-plane roles only, each on one resource;
no management role anywhere; Key Vault, storage, Service Bus and the Function App accept nothing
but Entra ID over TLS 1.2.

What the Bicep says is read as text (as tests/unit/infra/test_bicep.py does; pycep lives in the
checkov venv): every `resource` block with its braces balanced, its properties by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

INFRA = Path(__file__).parents[3] / "infra"
FILES = {
    path.relative_to(INFRA).as_posix(): path.read_text(encoding="utf-8")
    for path in sorted(INFRA.rglob("*.bicep"))
}
MAIN = FILES["main.bicep"]

# Built-in role definition ids (the same in every tenant) the app's identity may hold, and why.
ALLOWED = {
    "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39": "Azure Service Bus Data Sender",  # the flows enqueue
    "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0": "Azure Service Bus Data Receiver",  # the triggers receive
    # The Functions host with an identity-based AzureWebJobsStorage: its documented minimum (blob
    # leases, timer schedules, keys; it creates its containers).
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
    "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": "Storage Table Data Contributor",  # the integration's tables
    "974c5e8b-45b9-4653-ba55-5f855dd0fb88": "Storage Queue Data Contributor",
    "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",  # Key Vault references
}
# Management and access-granting roles: never, on any scope.
FORBIDDEN = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
    "17d1049b-9a84-46fb-8f53-869881c3d3ab": "Storage Account Contributor",
    "090c5cfd-751d-490a-894a-3ce6f1109419": "Azure Service Bus Data Owner",
    "00482a5a-887f-4fb3-b363-3b7fe8e74483": "Key Vault Administrator",
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": "Key Vault Secrets Officer",
}
# The one resource each assignment may be scoped to.
SCOPE_TYPES = (
    "Microsoft.Storage/storageAccounts",
    "Microsoft.ServiceBus/namespaces",
    "Microsoft.KeyVault/vaults",
)
ROLE_ASSIGNMENT = "Microsoft.Authorization/roleAssignments"


@dataclass(frozen=True)
class Resource:
    file: str
    symbol: str
    type: str  # without the API version
    existing: bool
    body: str

    def values(self, name: str) -> list[str]:
        """Every `name: value` in the block, at any depth: on a line of its own (trailing comment
        dropped) or inline (`{ name: value, … }`)."""
        lines = re.findall(rf"^\s*{name}: (.+)$", self.body, re.MULTILINE)
        inline = re.findall(rf"[{{,] *{name}: ([^,}}\n]+)", self.body)
        return [v.split(" //")[0].strip() for v in lines + inline]

    def inner(self, name: str) -> Resource:
        """The block `name: { … }` inside this one."""
        found = re.search(rf"^\s*{name}: \{{", self.body, re.MULTILINE)
        assert found is not None, f"{self.file} {self.symbol}: no {name} block"
        return Resource(
            self.file, f"{self.symbol}.{name}", self.type, self.existing, block(self.body, found.end() - 1)
        )

    def value(self, name: str) -> str:
        found = set(self.values(name))
        assert len(found) == 1, f"{self.file} {self.symbol}: {name} is {found or 'not set'}"
        return found.pop()


def block(text: str, start: int) -> str:
    """The text from the `{` at `start` to its matching `}`."""
    depth = 0
    for index in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return text[start : index + 1]
    raise AssertionError("unbalanced braces")


def resources(file: str) -> list[Resource]:
    text = FILES[file]
    found = []
    for match in re.finditer(
        r"^resource (\w+) '([^'@]+)@[^']+'( existing)? = (?:\[for [^\n]*?: )?\{", text, re.M
    ):
        found.append(Resource(file, match[1], match[2], bool(match[3]), block(text, match.end() - 1)))
    return found


ALL = [resource for file in FILES for resource in resources(file)]


def of_type(type_: str) -> list[Resource]:
    declared = [r for r in ALL if r.type == type_ and not r.existing]
    assert declared, f"no {type_} in infra/"
    return declared


def role_variables(file: str) -> dict[str, str]:
    """`var roles = { name: 'guid' … }` of a file."""
    declared = re.search(r"^var roles = \{(.*?)^\}", FILES[file], re.M | re.S)
    return dict(re.findall(r"^\s*(\w+): '([0-9a-f-]{36})'", declared[1], re.M)) if declared else {}


@dataclass(frozen=True)
class Grant:
    assignment: Resource
    role: str  # the role definition id
    scope: Resource  # the resource it is scoped to


def grant_of(assignment: Resource) -> Grant:
    definition = assignment.value("roleDefinitionId")
    named = re.fullmatch(
        r"subscriptionResourceId\('Microsoft\.Authorization/roleDefinitions', (.+)\)", definition
    )
    assert named, f"{assignment.symbol}: a built-in role by id, not {definition}"
    reference = named[1]
    if reference.startswith("'"):
        role = reference.strip("'")
    else:
        role = role_variables(assignment.file)[reference.removeprefix("roles.")]
    scopes = assignment.values("scope")
    assert scopes, f"{assignment.symbol}: no scope, so the deployment's whole resource group"
    symbols = {r.symbol: r for r in ALL if r.file == assignment.file}
    assert scopes[0] in symbols, (
        f"{assignment.symbol}: scope {scopes[0]} is not one resource of {assignment.file}"
    )
    return Grant(assignment, role, symbols[scopes[0]])


ASSIGNMENTS = [r for r in ALL if r.type == ROLE_ASSIGNMENT]


def grants() -> list[Grant]:
    return [grant_of(assignment) for assignment in ASSIGNMENTS]


def test_role_assignments_exist_and_all_live_in_the_roles_module() -> None:
    assert {assignment.file for assignment in ASSIGNMENTS} == {"modules/roles.bicep"}
    assert len(ASSIGNMENTS) >= 4


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.symbol)
def test_every_assignment_grants_an_allowed_data_role_on_one_resource_to_the_apps_identity(
    assignment: Resource,
) -> None:
    grant = grant_of(assignment)
    assert grant.role in ALLOWED, f"{grant.assignment.symbol}: role {FORBIDDEN.get(grant.role, grant.role)}"
    assert grant.scope.type.startswith(SCOPE_TYPES), grant.scope.type
    assert grant.assignment.value("principalId") == "principalId"
    assert grant.assignment.value("principalType") == "'ServicePrincipal'"
    # One name per (scope, identity, role): a second role on the same scope is a second assignment.
    role_reference = grant.assignment.value("roleDefinitionId").rsplit(", ", 1)[1].rstrip(")")
    assert grant.assignment.value("name") == f"guid({grant.scope.symbol}.id, principalId, {role_reference})"


def test_the_identity_granted_is_the_function_apps_own() -> None:
    roles_module = re.search(r"module roles 'modules/roles\.bicep' = \{", MAIN)
    assert roles_module is not None
    assert "principalId: identity.outputs.principalId" in block(MAIN, roles_module.end() - 1)
    app = of_type("Microsoft.Web/sites")[0]
    assert app.inner("identity").value("type") == "'UserAssigned'"
    assert app.value("keyVaultReferenceIdentity") == "identityId"


def test_exactly_these_grants_each_on_the_resource_it_is_needed_for() -> None:
    """Adding a role is a decision: it changes this list. Storage Queue Data Contributor is here
    because the Bicep grants it; the app and its host use no storage queue (reported)."""
    held = {(ALLOWED[g.role], g.scope.type) for g in grants()}
    assert held == {
        ("Azure Service Bus Data Sender", "Microsoft.ServiceBus/namespaces"),
        ("Azure Service Bus Data Receiver", "Microsoft.ServiceBus/namespaces"),
        ("Storage Blob Data Owner", "Microsoft.Storage/storageAccounts"),
        ("Storage Table Data Contributor", "Microsoft.Storage/storageAccounts"),
        ("Storage Queue Data Contributor", "Microsoft.Storage/storageAccounts"),
        ("Key Vault Secrets User", "Microsoft.KeyVault/vaults"),
    }


@pytest.mark.parametrize("file", FILES)
def test_no_management_role_no_custom_role_no_wide_scope_anywhere(file: str) -> None:
    text = FILES[file]
    assert not [name for guid, name in FORBIDDEN.items() if guid in text.lower()]
    assert not re.search(r"\b(Owner|Contributor|UserAccessAdministrator)'?\s*:", text)
    assert "Microsoft.Authorization/roleDefinitions@" not in text  # no custom roles
    assert not re.search(r"scope: (subscription|resourceGroup|managementGroup|tenant)\(", text)
    assert not re.search(r"^targetScope = '(subscription|managementGroup|tenant)'", text, re.M)


def test_key_vault_authorises_by_rbac_and_keeps_deleted_secrets() -> None:
    for vault in of_type("Microsoft.KeyVault/vaults"):
        assert vault.value("enableRbacAuthorization") == "true"
        assert vault.value("enableSoftDelete") == "true"
        assert int(vault.value("softDeleteRetentionInDays")) >= 7
        assert vault.value("enablePurgeProtection") == "true"
    assert not [f for f, text in FILES.items() if "accessPolicies" in text]


def test_storage_takes_entra_id_only_over_tls_1_2_and_serves_nothing_anonymously() -> None:
    for account in of_type("Microsoft.Storage/storageAccounts"):
        assert account.value("allowSharedKeyAccess") == "false"
        assert account.value("defaultToOAuthAuthentication") == "true"
        assert account.value("allowBlobPublicAccess") == "false"
        assert account.value("minimumTlsVersion") == "'TLS1_2'"
        assert account.value("supportsHttpsTrafficOnly") == "true"
    for container in of_type("Microsoft.Storage/storageAccounts/blobServices/containers"):
        assert container.value("publicAccess") == "'None'"
    # Shared keys off means nothing may hand one out: no listKeys(), no key in a connection string.
    assert not [f for f, text in FILES.items() if re.search(r"listKeys\(|AccountKey=|SharedAccessKey", text)]
    assert "AzureWebJobsStorage__credential: 'managedidentity'" in MAIN
    assert not re.search(r"^\s*AzureWebJobsStorage:", MAIN, re.M)  # no connection string for the host


def test_service_bus_takes_entra_id_only_over_tls_1_2() -> None:
    for namespace in of_type("Microsoft.ServiceBus/namespaces"):
        assert namespace.value("disableLocalAuth") == "true"
        assert namespace.value("minimumTlsVersion") == "'1.2'"
    assert not [r.symbol for r in ALL if "authorizationRules" in r.type.lower()]  # no SAS policies
    assert "ServiceBusConnection__credential: 'managedidentity'" in MAIN
    assert not re.search(r"^\s*ServiceBusConnection:", MAIN, re.M)


def test_the_function_app_is_https_only_tls_1_2_without_ftp_or_remote_debugging() -> None:
    for app in of_type("Microsoft.Web/sites"):
        assert app.value("httpsOnly") == "true"
        assert app.value("minTlsVersion") == "'1.2'"
        assert app.value("ftpsState") == "'Disabled'"
        assert app.value("remoteDebuggingEnabled") == "false"
        assert app.inner("identity").value("type") in {
            "'UserAssigned'",
            "'SystemAssigned'",
            "'SystemAssigned, UserAssigned'",
        }
        # The deployment package is read with the identity too, not a storage key.
        assert app.value("authentication").startswith("{ type: 'UserAssignedIdentity'")
