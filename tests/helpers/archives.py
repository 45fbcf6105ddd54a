"""Archives built in memory for the collectors' tests."""

from __future__ import annotations

import io
import json
import struct
import tarfile
from typing import Any


def tgz(files: dict[str, bytes]) -> bytes:
    """A gzip-compressed tar (an npm package's shape) holding ``files``, name → content."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def asar(files: dict[str, bytes]) -> bytes:
    """An Electron .asar archive holding ``files``, path → content: its pickled JSON index, then the bytes."""
    index: dict[str, Any] = {"files": {}}
    offset = 0
    blobs = b""
    for path, content in files.items():
        node = index["files"]
        *folders, name = path.split("/")
        for folder in folders:
            node = node.setdefault(folder, {"files": {}})["files"]
        node[name] = {"offset": str(offset), "size": len(content)}
        offset += len(content)
        blobs += content
    header = json.dumps(index).encode()
    padded = header + b"\x00" * (-len(header) % 4)
    pickle = struct.pack("<II", len(padded) + 4, len(header)) + padded
    return struct.pack("<II", 4, len(pickle)) + pickle + blobs
