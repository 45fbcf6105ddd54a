"""DataBorder: where an AI app's data goes, whose law reaches it there, and whether that breaks the rules."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("databorder")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

TOOL_NAME = "DataBorder"
