"""One small hierarchy of errors, each carrying a sentence a person can act on.

Front-ends print ``str(error)`` and never a traceback; the traceback goes to the log file only.
"""

from __future__ import annotations

from pathlib import Path


class DataBorderError(Exception):
    """Base of every error DataBorder reports to a person."""


class InputFileError(DataBorderError):
    """A file the user named cannot be read or is not what it should be."""

    def __init__(self, path: Path | str, sentence: str, *, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        where = f"{self.path}, line {line}" if line is not None else self.path
        super().__init__(f"{where}: {sentence}")


class EndpointSyntaxError(DataBorderError):
    """A host, URL or address that cannot be understood."""


class RulePackError(InputFileError):
    """A rule pack that cannot be loaded; names the file and, where known, the line."""


class GeoIPDatabaseError(InputFileError):
    """A GeoIP/ASN database that is missing, corrupt or of the wrong kind."""


class CaptureFormatError(InputFileError):
    """A capture or log (HAR, pcap, pcapng, proxy or Zeek log) that cannot be read as what it claims to be."""


class ProcessAccessError(DataBorderError):
    """A process to watch is gone, or its sockets may not be read by this user."""


class CancelledError(DataBorderError):
    """The user cancelled before anything was gathered: there is nothing to assess, and nothing is written."""


class ResourceError(DataBorderError):
    """Data that ships with DataBorder is missing or damaged (a broken installation)."""
