"""Secrets (the MaxMind account ID and licence key) live in the operating system's keyring, and only there.

Never in a config file, a log, an assessment, a report or a message. With no usable keyring, DataBorder says so
and offers the one-run alternative (environment variables) — it never falls back to storing the key in plain
text, so keyring backends that do (keyrings.alt's file backends) and the "fail" backend are refused.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import keyring
import keyring.errors

from databorder.errors import DataBorderError

SERVICE = "databorder"
_ACCOUNT = "maxmind-account-id"
_KEY = "maxmind-license-key"
ENV_ACCOUNT, ENV_KEY = "MAXMIND_ACCOUNT_ID", "MAXMIND_LICENSE_KEY"
_UNSAFE_BACKENDS = ("keyring.backends.fail", "keyrings.alt.file", "keyrings.alt.Windows", "keyrings.alt.pyfs")
_HINT = (
    f"pass the account for one run in {ENV_ACCOUNT} and {ENV_KEY} instead, or start the system's keyring "
    "(on Linux a Secret Service such as gnome-keyring, in a desktop session)"
)


@dataclass(frozen=True)
class MaxMindAccount:
    """An account ID and licence key, with where they came from (never printed together)."""

    account_id: str
    licence_key: str
    source: str

    def __repr__(self) -> str:  # a stray print or log line must not reveal the key
        return f"MaxMindAccount(account_id={self.account_id!r}, licence_key=<hidden>, source={self.source!r})"


def _backend() -> keyring.backend.KeyringBackend:
    backend = keyring.get_keyring()
    module = type(backend).__module__
    if module.startswith(_UNSAFE_BACKENDS):
        raise DataBorderError(f"no usable system keyring ({type(backend).__name__}); {_HINT}")
    return backend


def store_maxmind(account_id: str, licence_key: str) -> None:
    """Keep the account ID and licence key in the system keyring."""
    if not account_id.strip() or not licence_key.strip():
        raise DataBorderError("both the MaxMind account ID and the licence key are needed")
    backend = _backend()
    try:
        backend.set_password(SERVICE, _ACCOUNT, account_id.strip())
        backend.set_password(SERVICE, _KEY, licence_key.strip())
    except keyring.errors.KeyringError as exc:
        raise DataBorderError(
            f"the system keyring refused to store the secret ({type(exc).__name__}); {_HINT}"
        ) from None


def maxmind_account() -> MaxMindAccount | None:
    """The account to use: from the environment (one run) if set, else from the keyring, else None."""
    if os.environ.get(ENV_ACCOUNT) and os.environ.get(ENV_KEY):
        return MaxMindAccount(os.environ[ENV_ACCOUNT], os.environ[ENV_KEY], "environment (this run only)")
    try:
        backend = _backend()
        account, key = backend.get_password(SERVICE, _ACCOUNT), backend.get_password(SERVICE, _KEY)
    except keyring.errors.KeyringError as exc:
        raise DataBorderError(f"the system keyring could not be read ({type(exc).__name__}); {_HINT}") from None
    if account and key:
        return MaxMindAccount(account, key, f"system keyring ({type(backend).__name__})")
    return None


def describe_maxmind() -> str:
    """What is stored, for a person, without the key."""
    account = maxmind_account()
    if account is None:
        return "no MaxMind account is stored"
    stored = f"licence key stored ({len(account.licence_key)} characters)"
    return f"MaxMind account {account.account_id}, {stored}; from {account.source}"


def delete_maxmind() -> bool:
    """Remove the stored account; False if nothing was stored."""
    backend = _backend()
    removed = False
    for name in (_ACCOUNT, _KEY):
        try:
            backend.delete_password(SERVICE, name)
            removed = True
        except keyring.errors.PasswordDeleteError:
            pass
        except keyring.errors.KeyringError as exc:
            raise DataBorderError(f"the system keyring refused the deletion ({type(exc).__name__}); {_HINT}") from None
    return removed
