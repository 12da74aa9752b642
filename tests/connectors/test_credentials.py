"""Tokens live only in the OS keyring; tested with a real in-memory keyring backend."""

from __future__ import annotations

import keyring
import pytest
from keyring.backends import fail
from keyring.errors import KeyringLocked, PasswordSetError

from desktop_app.connectors.credentials import (
    SERVICE,
    CredentialStoreError,
    forget_token,
    load_token,
    normalise_url,
    save_token,
)
from desktop_app.models.errors import UserFacingError
from tests.connectors.conftest import MemoryKeyring


def test_save_and_load(memory_keyring: MemoryKeyring) -> None:
    save_token("https://scim.example.com/v2", "tok-1")
    assert load_token("https://scim.example.com/v2") == "tok-1"
    assert memory_keyring.passwords == {(SERVICE, "https://scim.example.com/v2"): "tok-1"}


def test_same_server_written_differently_shares_one_token(memory_keyring: MemoryKeyring) -> None:
    save_token("HTTPS://Scim.Example.COM:443/v2/", "tok")
    for spelling in (
        "https://scim.example.com/v2",
        " https://scim.example.com/v2// ",
        "https://user@scim.example.com/v2?x=1#top",
    ):
        assert load_token(spelling) == "tok"
    assert len(memory_keyring.passwords) == 1


def test_each_server_has_its_own_token(memory_keyring: MemoryKeyring) -> None:
    save_token("https://a.example.com/scim/v2", "A")
    save_token("https://a.example.com:8443/scim/v2", "B")
    save_token("https://a.example.com/other/v2", "C")
    save_token("https://a.example.com/scim/v2", "A2")  # replaces
    assert load_token("https://a.example.com/scim/v2") == "A2"
    assert load_token("https://a.example.com:8443/scim/v2") == "B"
    assert load_token("https://a.example.com/other/v2") == "C"
    assert load_token("https://b.example.com/scim/v2") is None


def test_forget(memory_keyring: MemoryKeyring) -> None:
    save_token("https://scim.example.com/v2", "tok")
    forget_token("https://scim.example.com/v2/")
    assert load_token("https://scim.example.com/v2") is None
    forget_token("https://scim.example.com/v2")  # forgetting twice is fine


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://Host.example/", "https://host.example"),
        ("http://127.0.0.1:80/v2", "http://127.0.0.1/v2"),
        ("http://[::1]:8080/v2/", "http://[::1]:8080/v2"),
        ("https://h.example:444/Scim/V2", "https://h.example:444/Scim/V2"),
    ],
)
def test_normalise_url(url: str, key: str) -> None:
    assert normalise_url(url) == key


@pytest.mark.parametrize("url", ["", "scim.example.com", "ftp://x", "https://h:notaport/"])
def test_not_a_web_address(url: str, memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(CredentialStoreError, match="is not a web address"):
        save_token(url, "tok")
    assert memory_keyring.passwords == {}


def test_empty_token_is_refused(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(CredentialStoreError, match="token is empty"):
        save_token("https://scim.example.com/v2", "  ")


def test_no_keyring_backend_is_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.core._keyring_backend)
    keyring.set_keyring(fail.Keyring())
    for call in (
        lambda: save_token("https://h.example/v2", "t"),
        lambda: load_token("https://h.example/v2"),
        lambda: forget_token("https://h.example/v2"),
    ):
        with pytest.raises(CredentialStoreError) as caught:
            call()
        assert isinstance(caught.value, UserFacingError)
        assert str(caught.value).startswith("This computer has no password store User Editor")


class _LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise PasswordSetError("denied")


def test_locked_or_refusing_keyring_is_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.core._keyring_backend)
    keyring.set_keyring(_LockedKeyring())
    with pytest.raises(CredentialStoreError, match="is locked"):
        load_token("https://h.example/v2")
    with pytest.raises(CredentialStoreError, match="refused to save the token"):
        save_token("https://h.example/v2", "secret-value")


class _NoSessionKeyring(MemoryKeyring):
    """A Secret Service backend with no D-Bus session answers with RuntimeError."""

    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError("No D-Bus session")


def test_backend_without_a_session_is_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.core._keyring_backend)
    keyring.set_keyring(_NoSessionKeyring())
    with pytest.raises(CredentialStoreError, match="refused to read the token"):
        load_token("https://h.example/v2")
