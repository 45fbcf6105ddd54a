"""The resolver's settings: a nameserver written IP or IP:PORT, refused with a sentence when it is not one."""

from __future__ import annotations

import pytest

from databorder.errors import DataBorderError
from databorder.nameserver import Nameserver


def ns(text: str) -> Nameserver:
    return Nameserver.parse(text)


@pytest.mark.parametrize(
    ("text", "address", "port", "shown"),
    [
        ("127.0.0.1", "127.0.0.1", 53, "127.0.0.1"),
        ("127.0.0.1:5353", "127.0.0.1", 5353, "127.0.0.1:5353"),
        ("::1", "::1", 53, "[::1]"),
        ("[::1]:5353", "::1", 5353, "[::1]:5353"),
    ],
)
def test_nameserver_parsing(text: str, address: str, port: int, shown: str) -> None:
    parsed = ns(text)
    assert (parsed.address, parsed.port, str(parsed)) == (address, port, shown)


@pytest.mark.parametrize("text", ["dns.example.test", "127.0.0.1:0", "127.0.0.1:x", "[::1]:99999", ""])
def test_bad_nameservers_are_refused_with_a_sentence(text: str) -> None:
    with pytest.raises(DataBorderError, match="nameserver"):
        ns(text)
