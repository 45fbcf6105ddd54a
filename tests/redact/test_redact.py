"""Secrets out of evidence and the log: URL user-info, credential parameters, key and token shapes."""

from __future__ import annotations

import logging
import sys

import pytest

from databorder.model import Evidence
from databorder.redact import LOG_LINE_LIMIT, RedactingFormatter, redact_secrets


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("https://alice:s3cret@api.vendor.test/v1", "https://…redacted…@api.vendor.test/v1"),
        ("GET /v1/chat?api_key=abc123&model=x HTTP/1.1", "GET /v1/chat?api_key=…redacted…&model=x HTTP/1.1"),
        ("https://h.test/cb#access_token=eyJ0eXAi.x.y&state=1", "https://h.test/cb#access_token=…redacted…&state=1"),
        ("wss://h.test/s?X-Amz-Signature=deadbeef", "wss://h.test/s?X-Amz-Signature=…redacted…"),
        ('const key = "sk-proj-abcdefghijklmnopqrstuv";', 'const key = "…redacted…";'),
        ("Authorization: Bearer abcdefghijklmnop12345", "Authorization: Bearer …redacted…"),
        ("token ghp_0123456789abcdefghijABCDEFGHIJ0123", "token …redacted…"),
        ("https://api.vendor.test/v1?model=a&page=2", "https://api.vendor.test/v1?model=a&page=2"),  # nothing secret
        ("write to support@vendor.test", "write to support@vendor.test"),
        ("pat github_pat_11ABCDEFG0123456789abcdefghijkl", "pat …redacted…"),
        ("authorization: basic dXNlcjpwYXNzd29yZDEyMzQ=", "authorization: basic …redacted…"),
        ("clé « sk-ant-abcdefghijklmnopqrstuv »", "clé « …redacted… »"),  # not ASCII: searched all the same
        ("Authorization: Baſic dXNlcjpwYXNzd29yZDEyMzQ=", "Authorization: Baſic …redacted…"),  # ſ matches s
    ],
)
def test_secrets_in_evidence_are_redacted_as_it_is_made(text: str, shown: str) -> None:
    evidence = Evidence("har", f"capture.har ({text})", "entry 1", text)
    assert evidence.excerpt == shown and evidence.source == f"capture.har ({shown})"
    assert redact_secrets(shown) == shown  # redacting again changes nothing (files read back stay as written)


def test_the_log_holds_no_secret_and_no_line_of_megabytes() -> None:
    try:
        raise ValueError("cannot reach https://bob:hunter2@api.vendor.test/v1?token=abc " + "x" * 100_000)
    except ValueError:
        failure = sys.exc_info()
    record = logging.LogRecord(
        "databorder", logging.ERROR, __file__, 1, "failed for %s", ("k=v&key=sk-" + "a" * 20,), failure
    )
    text = RedactingFormatter("%(message)s").format(record)
    assert "hunter2" not in text and "token=abc" not in text and "sk-aaaa" not in text
    assert "…redacted…" in text and max(len(line) for line in text.split("\n")) <= LOG_LINE_LIMIT + 40
