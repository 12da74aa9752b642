"""SCIM tokens, kept only in the operating system's password store (through ``keyring``).

A token is never written to settings, files or logs: it is stored under the
service "User Editor" with the normalised server address as the account name,
so ``https://Host:443/scim/v2/`` and ``https://host/scim/v2`` share one token.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

import keyring
import keyring.errors

from desktop_app.i18n import N_, _
from desktop_app.models.errors import UserFacingError

logger = logging.getLogger(__name__)

SERVICE = "User Editor"
_DEFAULT_PORTS = {"http": 80, "https": 443}

T = TypeVar("T")


class CredentialStoreError(UserFacingError):
    """The password store could not keep or give back a token."""


def normalise_url(url: str) -> str:
    """Return the key of a server address: lower-case scheme and host, no default port,
    no trailing slash, no user, query or fragment."""
    text = (url or "").strip()
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        host, port = "", None
    scheme = parts.scheme.lower() if host else ""
    if scheme not in _DEFAULT_PORTS or not host:
        raise CredentialStoreError(
            _(
                "“{text}” is not a web address, so no token can be kept for it; "
                "enter the SCIM address of the platform, starting with https://."
            ).format(text=text)
        )
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


# What _guarded's sentences say the keyring could not do.
_VERBS = {"save": N_("save"), "read": N_("read"), "remove": N_("remove")}


def _guarded(verb: str, call: Callable[[], T]) -> T:
    """Run a keyring call, turning its failures into one sentence."""
    try:
        return call()
    except keyring.errors.NoKeyringError as exc:
        raise CredentialStoreError(
            _(
                "This computer has no password store User Editor can use, so it cannot {verb} "
                "the token; on Linux, install and unlock GNOME Keyring or KWallet, then try again."
            ).format(verb=_(_VERBS[verb]))
        ) from exc
    except keyring.errors.KeyringLocked as exc:
        raise CredentialStoreError(
            _(
                "The password store of this computer is locked, so User Editor cannot {verb} "
                "the token; unlock it and try again."
            ).format(verb=_(_VERBS[verb]))
        ) from exc
    except (keyring.errors.KeyringError, RuntimeError, OSError) as exc:
        # Backends also fail with RuntimeError (no D-Bus session) or OSError.
        logger.warning("keyring could not %s a token", verb, exc_info=True)
        raise CredentialStoreError(
            _(
                "The password store of this computer refused to {verb} the token; "
                "check that it is unlocked and that User Editor may use it, then try again."
            ).format(verb=_(_VERBS[verb]))
        ) from exc


def save_token(url: str, token: str) -> None:
    """Keep the token of a server in the password store, replacing any previous one."""
    key = normalise_url(url)
    token = (token or "").strip()
    if not token:
        raise CredentialStoreError(_("The token is empty; paste the token the platform gave you."))
    _guarded("save", lambda: keyring.set_password(SERVICE, key, token))


def load_token(url: str) -> str | None:
    """Return the saved token of a server, or None when none was saved."""
    key = normalise_url(url)
    return _guarded("read", lambda: keyring.get_password(SERVICE, key))


def forget_token(url: str) -> None:
    """Remove the saved token of a server; forgetting a token never saved is not an error."""
    key = normalise_url(url)

    def delete() -> None:
        try:
            keyring.delete_password(SERVICE, key)
        except keyring.errors.PasswordDeleteError:
            if keyring.get_password(SERVICE, key) is not None:
                raise

    _guarded("remove", delete)


def _invite_key(api: str, org: str) -> str:
    """The account name of an invite API's token: its own entry, never a SCIM server's."""
    return f"{api.strip().casefold()}-invite:{org.strip().casefold()}"


def save_invite_token(api: str, org: str, token: str) -> None:
    """Keep the personal access token of a platform's invite API (Udemy's) for one
    organisation, apart from the SCIM bearer token."""
    token = (token or "").strip()
    if not token:
        raise CredentialStoreError(
            _("The personal access token is empty; paste the token the platform gave you.")
        )
    key = _invite_key(api, org)
    _guarded("save", lambda: keyring.set_password(SERVICE, key, token))


def load_invite_token(api: str, org: str) -> str | None:
    """Return the saved invite API token of an organisation, or None."""
    key = _invite_key(api, org)
    return _guarded("read", lambda: keyring.get_password(SERVICE, key))
