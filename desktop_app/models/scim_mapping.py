"""Between table text and SCIM attributes, as each profile's columns declare them.

A column's ``scim`` path names a User attribute: ``userName``, ``name.givenName``,
``title``, ``active``, ``preferredLanguage``, ``externalId``, an Enterprise User
attribute by its full URN path, or ``emails`` for the primary email address.
Values go both ways as the table writes them, so comparing the table with the
server is comparing text.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from desktop_app.models.profiles import Profile

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
TRUE_WORDS = {"true", "yes", "y", "1", "x", "active", "ja", "actief"}
# Group membership is changed on the groups (/Groups), never in a user's PATCH.
GROUPS = "groups"
# The Enterprise User's manager, shown and edited as the manager's email address; what
# is sent is the manager's id (see ``People``).
MANAGER = "manager"
MANAGER_PATH = f"{ENTERPRISE}:manager"


class People:
    """Who is who on the server: ids and primary email addresses, both ways."""

    def __init__(self, users: list[tuple[dict[str, Any], str | None]]) -> None:
        self.email_of: dict[str, str] = {}
        self.id_of: dict[str, str] = {}
        for resource, _etag in users:
            email = primary_email(resource)
            if email and resource.get("id"):
                self.email_of[resource["id"]] = email
                self.id_of[email.casefold()] = resource["id"]

    def manager_email(self, resource: Mapping[str, Any]) -> str:
        """The email of the user's manager (their id if they have no email here)."""
        value = self.manager_id_of(resource)
        return self.email_of.get(value, value)

    @staticmethod
    def manager_id_of(resource: Mapping[str, Any]) -> str:
        manager = (resource.get(ENTERPRISE) or {}).get("manager") or {}
        value = manager.get("value") if isinstance(manager, Mapping) else manager
        return str(value or "")

    def id_for(self, text: str) -> str | None:
        """The user a cell names as manager, by email address or by id."""
        if text in self.email_of:
            return text
        return self.id_of.get(text.casefold())


def group_names(text: str, separator: str = ",") -> set[str]:
    """The group names a cell lists ('Team North, Team South')."""
    return {name.strip() for name in text.split(separator) if name.strip()}


def _split(path: str) -> tuple[str | None, list[str]]:
    """(extension URN or None, attribute names) of a path."""
    if path.startswith(ENTERPRISE + ":"):
        return ENTERPRISE, path[len(ENTERPRISE) + 1 :].split(".")
    return None, path.split(".")


def primary_email(resource: Mapping[str, Any]) -> str | None:
    emails = resource.get("emails") or []
    chosen = next((e for e in emails if e.get("primary")), emails[0] if emails else None)
    return None if chosen is None else chosen.get("value")


def read_value(resource: Mapping[str, Any], path: str) -> Any:
    """The attribute's value in a resource, or None."""
    if path == "emails":
        return primary_email(resource)
    if path == GROUPS:
        names = sorted(g.get("display") or "" for g in resource.get(GROUPS) or [])
        return ", ".join(n for n in names if n)
    urn, names = _split(path)
    node: Any = resource.get(urn, {}) if urn else resource
    for name in names:
        if not isinstance(node, Mapping):
            return None
        node = node.get(name)
    if isinstance(node, Mapping) and "value" in node:  # e.g. the enterprise manager
        return node["value"]
    return node


def as_text(value: Any, path: str, profile: Profile) -> str:
    """A SCIM value written as the table writes it."""
    if value is None:
        return ""
    if path == "active" or isinstance(value, bool):
        return profile.scim_true if value else profile.scim_false
    return str(value)


def to_value(text: str, path: str, profile: Profile) -> Any:
    """Table text as the SCIM value to send."""
    if path == "active":
        folded = text.strip().casefold()
        return folded == profile.scim_true.casefold() or folded in TRUE_WORDS
    return text


def server_text(
    resource: Mapping[str, Any], path: str, profile: Profile, people: People | None = None
) -> str:
    """The attribute as the table writes it (a manager as its email, given ``people``)."""
    if path == MANAGER:
        return (people or People([])).manager_email(resource)
    return as_text(read_value(resource, path), path, profile)


def _email_list(resource: Mapping[str, Any], address: str) -> list[dict[str, Any]]:
    """The user's emails with the primary one changed; the others are kept as they were."""
    emails = [dict(e) for e in resource.get("emails") or []]
    primary = next((e for e in emails if e.get("primary")), emails[0] if emails else None)
    if not address:
        return [e for e in emails if e is not primary]
    if primary is None:
        return [{"value": address, "type": "work", "primary": True}, *emails]
    primary["value"] = address
    primary["primary"] = True
    return emails


def patch_operations(
    resource: Mapping[str, Any], changes: Mapping[str, str], profile: Profile
) -> list[dict[str, Any]]:
    """PATCH operations that set each path to its new table text; blank text removes it."""
    operations: list[dict[str, Any]] = []
    for path, text in changes.items():
        if path == GROUPS:
            continue
        if path == MANAGER:  # the text is the manager's id by now (see People)
            operations.append(
                {"op": "replace", "path": MANAGER_PATH, "value": {"value": text}}
                if text
                else {"op": "remove", "path": MANAGER_PATH}
            )
            continue
        if path == "emails":
            operations.append(
                {"op": "replace", "path": "emails", "value": _email_list(resource, text)}
            )
        elif text == "" and path != "active":
            operations.append({"op": "remove", "path": path})
        else:
            operations.append(
                {"op": "replace", "path": path, "value": to_value(text, path, profile)}
            )
    return operations


def apply_changes(
    resource: Mapping[str, Any], changes: Mapping[str, str], profile: Profile
) -> dict[str, Any]:
    """A copy of ``resource`` with the changes made, as the server should hold it after."""
    result = copy.deepcopy(dict(resource))
    for path, text in changes.items():
        if path in (GROUPS, MANAGER):
            continue
        if path == "emails":
            result["emails"] = _email_list(result, text)
            continue
        urn, names = _split(path)
        node = result.setdefault(urn, {}) if urn else result
        for name in names[:-1]:
            node = node.setdefault(name, {})
        if text == "" and path != "active":
            node.pop(names[-1], None)
        else:
            node[names[-1]] = to_value(text, path, profile)
    if ENTERPRISE in result and result[ENTERPRISE]:
        schemas = result.setdefault("schemas", [USER_SCHEMA])
        if ENTERPRISE not in schemas:
            schemas.append(ENTERPRISE)
    return result


def new_resource(values: Mapping[str, str], profile: Profile) -> dict[str, Any]:
    """The resource that creates a user from a row's mapped values."""
    resource = apply_changes({"schemas": [USER_SCHEMA]}, values, profile)
    if not resource.get("userName"):
        resource["userName"] = values.get("emails") or values.get("externalId") or ""
    return resource


def operation_path(operation: Mapping[str, Any]) -> str:
    """The attribute a PATCH operation of ours touches."""
    return str(operation.get("path") or "")


def apply_operations(
    resource: Mapping[str, Any], operations: list[dict[str, Any]]
) -> dict[str, Any]:
    """A copy of ``resource`` with our own PATCH operations made (to PUT it instead)."""
    result = copy.deepcopy(dict(resource))
    for operation in operations:
        urn, names = _split(operation_path(operation))
        node = result.setdefault(urn, {}) if urn else result
        for name in names[:-1]:
            node = node.setdefault(name, {})
        if str(operation.get("op", "")).lower() == "remove":
            node.pop(names[-1], None)
        else:
            node[names[-1]] = copy.deepcopy(operation.get("value"))
    if result.get(ENTERPRISE):
        schemas = result.setdefault("schemas", [USER_SCHEMA])
        if ENTERPRISE not in schemas:
            schemas.append(ENTERPRISE)
    return result


def written_values(resource: Mapping[str, Any]) -> dict[str, Any]:
    """Each attribute a new user's resource sets, by path, with the value it sets."""
    values: dict[str, Any] = {}
    for name, value in resource.items():
        if name in ("schemas", "id", "meta", "password", GROUPS):
            continue
        if name == ENTERPRISE and isinstance(value, Mapping):
            for sub, inner in value.items():
                values[f"{ENTERPRISE}:{sub}"] = inner
        elif isinstance(value, Mapping) and name != "emails":
            for sub, inner in value.items():
                values[f"{name}.{sub}"] = inner
        else:
            values[name] = value
    return values


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def holds(resource: Mapping[str, Any], path: str, value: Any) -> bool:
    """Whether the server's copy of a user holds ``value`` (as sent) at ``path``."""
    if path == "emails":
        wanted = primary_email({"emails": value or []}) or ""
        return (primary_email(resource) or "").casefold() == wanted.casefold()
    have = read_value(resource, path)
    if isinstance(value, Mapping) and "value" in value:
        value = value["value"]
    if _blank(value):
        return _blank(have)
    if isinstance(value, bool) or isinstance(have, bool):
        return str(have).casefold() == str(value).casefold()
    if isinstance(value, list | dict) or isinstance(have, list | dict):
        return bool(have == value)
    return have is not None and str(have) == str(value)
