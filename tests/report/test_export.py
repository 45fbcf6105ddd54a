"""One export recipe for the CLI's flags and the GUI's Export menu: each kind written, bad targets a sentence."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import pytest

from databorder.errors import DataBorderError
from databorder.report.export import REPORT_KINDS, export
from databorder.report.jsonout import read_json
from tests.model.test_model import sample_assessment


def test_each_kind_is_written_and_reads_back(tmp_path: Path) -> None:
    assessment = sample_assessment()
    for kind in REPORT_KINDS:
        export(assessment, kind, tmp_path / f"a.{kind}", organisation="Example Corp Security")
    assert read_json(tmp_path / "a.json") == assessment
    with (tmp_path / "a.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and "endpoint" in rows[0]
    assert {row["endpoint"] for row in rows} <= {e.key for e in assessment.endpoints}
    text = subprocess.run(
        ["pdftotext", "-l", "1", str(tmp_path / "a.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Example Corp Security" in text


@pytest.mark.parametrize("kind", REPORT_KINDS)
def test_a_target_that_cannot_be_written_is_a_sentence(tmp_path: Path, kind: str) -> None:
    with pytest.raises(DataBorderError, match="no-such-folder"):
        export(sample_assessment(), kind, tmp_path / "no-such-folder" / f"a.{kind}")  # type: ignore[arg-type]
