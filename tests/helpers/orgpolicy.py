"""Writing the organisation's policy file where DataBorder looks for it (a private folder per test)."""

from __future__ import annotations

from pathlib import Path

from databorder.orgpolicy import policy_path


def write_policy(text: str) -> Path:
    """Write ``text`` as this machine's policy file and return its path."""
    path = policy_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
