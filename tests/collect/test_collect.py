from __future__ import annotations

from databorder.collect import InputProblem


def test_input_problems_read_as_file_line_message() -> None:
    assert str(InputProblem("hosts.txt", 3, "bad entry")) == "hosts.txt, line 3: bad entry"
    assert str(InputProblem("command line", None, "argument 2: bad")) == "command line: argument 2: bad"
