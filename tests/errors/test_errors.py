from __future__ import annotations

from pathlib import Path

from databorder.errors import DataBorderError, GeoIPDatabaseError, InputFileError, RulePackError


def test_file_errors_name_the_file_and_line_in_one_sentence() -> None:
    error = RulePackError(Path("rules/org.toml"), "rule 'x': points must be a whole number", line=12)
    assert str(error) == "rules/org.toml, line 12: rule 'x': points must be a whole number"
    assert (error.path, error.line) == ("rules/org.toml", 12)
    assert str(GeoIPDatabaseError("c.mmdb", "is corrupt")) == "c.mmdb: is corrupt"
    assert isinstance(error, InputFileError) and isinstance(error, DataBorderError)
