"""Between table text and SCIM attributes, as each profile's columns declare them.

A column's ``scim`` path names a User attribute: ``userName``, ``name.givenName``,
``title``, ``active``, ``preferredLanguage``, ``externalId``, an attribute of any
extension (the Enterprise User's, a platform's own) by its full URN path, or
``emails`` for the primary email address. Values go both ways as the table writes
them, so comparing the table with the server is comparing text. A column whose
attribute is a list (``scim_list``) is sent as a JSON array of the cell's items and
shown as the items joined by its separator; one the platform ignores when blank
(``blank_ignored``) sends nothing for a blank cell.
"""

from __future__ import annotations

import copy
import json
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
    """(extension URN or None, attribute names) of a path; any extension's full URN path."""
    if path.startswith("urn:"):
        urn, _, attr = path.rpartition(":")
        return urn, attr.split(".")
    return None, path.split(".")


def _add_extension_schemas(resource: dict[str, Any]) -> None:
    """List every extension the resource holds values of in its ``schemas``."""
    for name, value in resource.items():
        if name.startswith("urn:") and value:
            schemas = resource.setdefault("schemas", [USER_SCHEMA])
            if name not in schemas:
                schemas.append(name)


def _ignored_blank(text: str, path: str, profile: Profile) -> bool:
    """Whether the platform ignores this blank value, so nothing is sent for it."""
    rule = profile.scim_rule(path)
    if rule is None or not rule.blank_ignored:
        return False
    value = to_value(text, path, profile)
    return value == [] or (isinstance(value, str) and not value.strip())


def list_items(text: str, separator: str = ",") -> list[str]:
    """The items a list cell names, in order ('Enterprise, Pro' -> ['Enterprise', 'Pro'])."""
    return [item.strip() for item in text.split(separator) if item.strip()]


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
    if isinstance(value, list):
        rule = profile.scim_rule(path)
        separator = rule.separator if rule else ","
        return f"{separator} ".join(map(str, value))
    return str(value)


def to_value(text: str, path: str, profile: Profile) -> Any:
    """Table text as the SCIM value to send."""
    if path == "active":
        folded = text.strip().casefold()
        return folded == profile.scim_true.casefold() or folded in TRUE_WORDS
    rule = profile.scim_rule(path)
    if rule and rule.scim_list:
        return list_items(text, rule.separator)
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
    """PATCH operations that set each path to its new table text; blank text removes it,
    or sends nothing where the platform ignores a blank value."""
    operations: list[dict[str, Any]] = []
    for path, text in changes.items():
        if path == GROUPS or _ignored_blank(text, path, profile):
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
        elif path != "active" and (text == "" or to_value(text, path, profile) == []):
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
        if path in (GROUPS, MANAGER) or _ignored_blank(text, path, profile):
            continue
        if path == "emails":
            result["emails"] = _email_list(result, text)
            continue
        urn, names = _split(path)
        node = result.setdefault(urn, {}) if urn else result
        for name in names[:-1]:
            node = node.setdefault(name, {})
        if path != "active" and (text == "" or to_value(text, path, profile) == []):
            node.pop(names[-1], None)
        else:
            node[names[-1]] = to_value(text, path, profile)
    _add_extension_schemas(result)
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
    _add_extension_schemas(result)
    return result


def written_values(resource: Mapping[str, Any]) -> dict[str, Any]:
    """Each attribute a new user's resource sets, by path, with the value it sets."""
    values: dict[str, Any] = {}
    for name, value in resource.items():
        if name in ("schemas", "id", "meta", "password", GROUPS):
            continue
        if name.startswith("urn:") and isinstance(value, Mapping):
            for sub, inner in value.items():
                values[f"{name}:{sub}"] = inner
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
    if isinstance(value, list) and isinstance(have, list):
        return _sorted_items(have) == _sorted_items(value)  # a list's order is not kept
    if isinstance(value, list | dict) or isinstance(have, list | dict):
        return bool(have == value)
    return have is not None and str(have) == str(value)


def _sorted_items(items: list[Any]) -> list[str]:
    return sorted(json.dumps(item, sort_keys=True, default=str) for item in items)
