"""The static scanner: the endpoints an installed AI app *can* talk to, found in its files, ranked by likelihood.

It reads folders, single files and archives — zip/jar/whl/apk/ipa/aar/vsix, tar/tgz (npm packages), Electron
``.asar``, archives nested in archives — and binaries (ELF, PE, Mach-O, single-file executables embedding their
JavaScript), streaming each in chunks so memory does not grow with the input.  It extracts URLs of any scheme and
bare host names from ASCII/UTF-8 and UTF-16LE strings, keeps only names whose suffix the Public Suffix List knows,
and ranks each sighting (docs/static-scan.md): data endpoints (API paths, base-URL variables, telemetry vendors,
catalog domains) rise; documentation, licence and schema links, example and test domains sink.

Nothing is ever extracted to disk: archive members are read as streams; a nested archive that needs seeking is
spooled to a private temporary file within the size bounds.  Zip bombs, deep nesting and huge member counts are
refused member by member with a warning, never a crash.

One module per decision, each importing only those before it:

- ``ranking``: the relevance rules — what a candidate's own bytes, the statement before it and its file say;
- ``finding``: the RE2 matcher, candidates in buffers, streams and memory-mapped ranges, UTF-16LE runs;
- ``sea``: where the assets of a Node.js single executable application lie in its executable;
- ``containers``: zip, tar, gzip and asar readers, nested archives, the scan's bounds;
- ``scan``: ``scan_path`` — files listed, batched or cut into ranges, scanned by worker processes, merged.
"""

from __future__ import annotations

from databorder.collect.static.containers import Budget, scan_stream
from databorder.collect.static.finding import Hit, Readable, Scanner
from databorder.collect.static.scan import scan_path

__all__ = ["Budget", "Hit", "Readable", "Scanner", "scan_path", "scan_stream"]
