"""Fixtures for the connector tests: a real scim2-server with a fault injector, and a keyring."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import keyring.core
import pytest
from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import PasswordDeleteError

from desktop_app.connectors.scim import ScimClient
from tests.helpers.faults import Faults
from tests.helpers.scim_server import ScimServer, running_scim_server


@pytest.fixture
def scim_server() -> Iterator[ScimServer]:
    """A fresh, empty scim2-server behind a (quiet until told) fault injector."""
    with running_scim_server(token="s3cr3t-T0KEN-for-tests", middleware=Faults) as server:
        yield server


@pytest.fixture
def client(scim_server: ScimServer, waits: list[float]) -> Iterator[ScimClient]:
    """A client of ``scim_server`` whose sleeps are recorded in ``waits``."""
    with ScimClient(
        scim_server.base_url, scim_server.token, timeout=5.0, sleep=waits.append
    ) as scim_client:
        yield scim_client


class MemoryKeyring(KeyringBackend):
    """A real keyring backend that keeps passwords in a dict.

    Its priority raises, so keyring never picks it on its own: only tests that
    call ``keyring.set_keyring`` use it.
    """

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("only for tests, set explicitly")

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.passwords.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> MemoryKeyring:
    """Install a MemoryKeyring as the process keyring; the previous one comes back after."""
    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.core._keyring_backend)
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend
