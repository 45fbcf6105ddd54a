"""Secrets taken out of text before it is stored, shown or logged.

A URL's user and password, credential-like query or fragment parameters, and the shapes of common API keys and
tokens become ``…redacted…``: in every piece of evidence (:class:`databorder.model.Evidence`) and in every line
of the log file (:class:`RedactingFormatter`).
"""

from __future__ import annotations

import logging
import re

REDACTED = "…redacted…"
# A URL's user-info (https://user:password@host), credential-like query or fragment parameters, and the shapes of
# common API keys and tokens (OpenAI/Anthropic sk-…, GitHub gh?_…, Google AIza…, AWS AKIA…, Slack xox?-…, bearer).
_USER_INFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{1,20}://)[^/?#@\s\"'<>]+@")
_SECRET_PARAMETER = re.compile(
    r"(?i)([?&#;]([\w.-]*(token|key|secret|passw(or)?d|pwd|signature|sig|auth|credential|session|sessionid|jwt))"
    r"=)[^&#\s\"'<>)]+"
)
_KEY_SHAPES = re.compile(
    r"\b(?:sk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}"
    r"|AIza[0-9A-Za-z_-]{35}|AKIA[0-9A-Z]{16}|xox[abposr]-[A-Za-z0-9-]{10,})"
    r"|(?P<scheme>(?i:bearer|basic)\s+)[A-Za-z0-9._~+/=-]{16,}"
)


def redact_secrets(text: str) -> str:
    """``text`` with credentials replaced by ``…redacted…``; unchanged when it holds none (the usual case)."""
    # Each pattern is tried only where its one required character is (user-info ends in "@", a parameter has
    # "="), and replaces only what it found: the evidence of one scan makes tens of thousands of excerpts.
    if "@" in text:
        text = _USER_INFO.sub(_user_info, text)
    if "=" in text and _SECRET_PARAMETER.search(text):
        text = _SECRET_PARAMETER.sub(_parameter, text)
    if _may_hold_key(text) and _KEY_SHAPES.search(text):
        text = _KEY_SHAPES.sub(_key, text)
    return text


def _may_hold_key(text: str) -> bool:
    """Whether ``text`` holds what every key shape starts with (five times faster than searching for them)."""
    if not text.isascii():
        return True  # ignoring case, the search also matches letters a plain lower() does not give (ſ, İ)
    if "sk-" in text or "gh" in text or "AIza" in text or "AKIA" in text or "xox" in text or "github_pat_" in text:
        return True
    lowered = text.lower()
    return "bearer" in lowered or "basic" in lowered


def _user_info(found: re.Match[str]) -> str:
    return f"{found.group(1)}{REDACTED}@"


def _parameter(found: re.Match[str]) -> str:
    return f"{found.group(1)}{REDACTED}"


def _key(found: re.Match[str]) -> str:
    return f"{found.group('scheme') or ''}{REDACTED}"


#: The longest line the log keeps: input values of megabytes (a hostile host list's one line) are cut.
LOG_LINE_LIMIT = 2000


class RedactingFormatter(logging.Formatter):
    """A log formatter whose output, tracebacks included, holds no secret and no line longer than the limit."""

    def format(self, record: logging.LogRecord) -> str:
        text = redact_secrets(super().format(record))
        return "\n".join(
            line if len(line) <= LOG_LINE_LIMIT else f"{line[:LOG_LINE_LIMIT]}… ({len(line) - LOG_LINE_LIMIT:,} more)"
            for line in text.split("\n")
        )
