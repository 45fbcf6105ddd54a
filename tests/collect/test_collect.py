from __future__ import annotations

import pytest

from databorder.collect import InputProblem, text_encoding


def test_input_problems_read_as_file_line_message() -> None:
    assert str(InputProblem("hosts.txt", 3, "bad entry")) == "hosts.txt, line 3: bad entry"
    assert str(InputProblem("command line", None, "argument 2: bad")) == "command line: argument 2: bad"


@pytest.mark.parametrize(
    ("head", "expected"),
    [(b"api.chat.test\n", "utf-8"), ("# caf\u00e9\n".encode("latin-1") + b"x.test\n" * 10, "utf-8"), (b"", "utf-8"),
     ("x.test\n".encode("utf-16"), "utf-16-le"), ("x.test\n".encode("utf-16-be"), "utf-16-be"),
     ("x.test\n".encode("utf-16-le"), "utf-16-le"), (b"\x1f\x8b\x08\x00\x00\x00", None),
     (b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00", None), (bytes(range(1, 32)) * 4, None),
     (bytes(range(128, 256)) * 4, None)],
    ids=["ascii", "latin1-comment", "empty", "utf16-bom", "utf16be-bom", "utf16le-no-bom", "gzip", "pcap",
         "controls", "high-bytes"],
)  # fmt: skip
def test_text_is_told_from_binary_data(head: bytes, expected: str | None) -> None:
    assert text_encoding(head) == expected
