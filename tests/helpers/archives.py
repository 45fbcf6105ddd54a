"""Archives built in memory for the collectors' tests."""

from __future__ import annotations

import io
import tarfile


def tgz(files: dict[str, bytes]) -> bytes:
    """A gzip-compressed tar (an npm package's shape) holding ``files``, name → content."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()
