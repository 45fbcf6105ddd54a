"""Writing an assessment out: the one recipe the CLI's flags and the GUI's Export menu both call."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from databorder.model import Assessment

ReportKind = Literal["pdf", "json", "csv"]
Paper = Literal["a4", "letter"]
REPORT_KINDS: tuple[ReportKind, ...] = ("pdf", "json", "csv")


def export(
    assessment: Assessment,
    kind: ReportKind,
    path: Path,
    *,
    paper: Paper = "a4",
    pdf_a: bool = False,
    organisation: str | None = None,
    logo: Path | None = None,
) -> None:
    """Write ``assessment`` to ``path`` as ``kind``; the PDF carries the organisation's header when given.

    Raises :class:`~databorder.errors.DataBorderError` with a sentence when the file cannot be written. The PDF
    renderer (the engine's one Qt user) is imported only here, only for a PDF.
    """
    if kind == "json":
        from databorder.report.jsonout import write_json

        write_json(assessment, path)
    elif kind == "csv":
        from databorder.report.csvout import write_csv

        write_csv(assessment, path)
    else:
        from databorder.report.pdf import render_pdf

        render_pdf(assessment, path, paper=paper, pdf_a=pdf_a, organisation=organisation, logo=logo)
