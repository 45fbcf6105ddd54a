"""Report files: regular files only, never a read-only one, complete before they take the name, 0600."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from databorder.errors import DataBorderError
from databorder.report.export import REPORT_KINDS, export
from databorder.report.output import replacing
from tests.model.test_model import sample_assessment


@pytest.mark.parametrize("kind", REPORT_KINDS)
def test_every_format_is_written_whole_and_private(tmp_path: Path, kind: str) -> None:
    target = tmp_path / f"report.{kind}"
    target.write_bytes(b"old")
    os.chmod(target, 0o644)
    export(sample_assessment(), kind, target)  # type: ignore[arg-type]
    assert target.read_bytes() != b"old" and target.stat().st_size > 100
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temporary file left behind


@pytest.mark.parametrize("kind", REPORT_KINDS)
def test_a_fifo_a_device_a_folder_and_a_read_only_file_are_refused_and_left_alone(tmp_path: Path, kind: str) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    opened = threading.Event()

    def read_once() -> None:
        fifo.open("rb").close()
        opened.set()

    reader = threading.Thread(target=read_once, daemon=True)
    reader.start()  # were the FIFO opened for writing, this reader would return
    for target, words in ((fifo, "not a regular file"), (Path("/dev/full"), "not a regular file"),
                          (tmp_path, "it is a folder")):  # fmt: skip
        with pytest.raises(DataBorderError, match=words):
            export(sample_assessment(), kind, target)  # type: ignore[arg-type]
    assert not opened.wait(0.2)
    read_only = tmp_path / f"kept.{kind}"
    read_only.write_bytes(b"keep me")
    os.chmod(read_only, 0o444)
    with pytest.raises(DataBorderError, match="read-only"):
        export(sample_assessment(), kind, read_only)  # type: ignore[arg-type]
    assert read_only.read_bytes() == b"keep me"
    with open(fifo, "wb"):  # let the waiting reader go
        pass


def test_a_write_that_fails_leaves_the_old_file_and_no_temporary_one(tmp_path: Path) -> None:
    target = tmp_path / "a.json"
    target.write_text("old", encoding="utf-8")
    with (
        pytest.raises(DataBorderError, match="cannot write the JSON: No space left on device"),
        replacing(target, "JSON") as temporary,
    ):
        temporary.write_text("half", encoding="utf-8")
        raise OSError(28, "No space left on device")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_a_missing_folder_is_named() -> None:
    with pytest.raises(DataBorderError, match=r"the folder /nonexistent-folder\.test does not exist"):
        export(sample_assessment(), "json", Path("/nonexistent-folder.test/a.json"))
