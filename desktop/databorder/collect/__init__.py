"""Collectors: each turns one kind of target into observations with evidence of where they were seen."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InputProblem:
    """Something in the input that was skipped, said so that a person can find and fix it."""

    source: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.source}, line {self.line}" if self.line is not None else self.source
        return f"{where}: {self.message}"
