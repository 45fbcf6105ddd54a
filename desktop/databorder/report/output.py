"""How every report file is written: to a temporary file beside the target, flushed to disk, renamed over it.

One home for the rules all three formats share (docs/assessment-json.md, "Writing report files"):
- only a regular file (or a new name) is a target: a FIFO, a device or a folder is refused with a sentence, so
  ``--json /dev/full`` or a named pipe never hangs or lies;
- a read-only target is refused, not replaced (the rename would otherwise go through);
- the new file is complete before it takes the target's name (an interrupted or failed write leaves the old file
  and no partial one), and it is created 0600: reports name an organisation's apps and endpoints;
- a write error (no space, a broken pipe) is a :class:`DataBorderError` sentence, never "written".
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from databorder.errors import DataBorderError
from databorder.inputs import check_regular


def check_target(path: Path, what: str) -> None:
    """Refuse a target that is not a regular file, or is read-only; a new name in an existing folder is fine.

    What a regular file is, and the sentence for one that is not, is :func:`databorder.inputs.check_regular`'s,
    the same rule every reader follows.
    """
    try:
        info = check_regular(path)
    except FileNotFoundError:
        folder = path.parent if str(path.parent) else Path(".")
        if not folder.is_dir():
            raise DataBorderError(f"{path}: cannot write the {what}: the folder {folder} does not exist") from None
        return
    except OSError as exc:
        raise DataBorderError(f"{path}: cannot write the {what}: {exc.strerror or exc}") from None
    if not info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise DataBorderError(f"{path}: cannot write the {what}: the file is read-only (it was left as it is)")


@contextlib.contextmanager
def replacing(path: Path, what: str) -> Iterator[Path]:
    """A temporary path in the target's folder to write ``what`` to.

    On success it is fsynced and renamed over ``path``; on failure it is removed and the target left as it was.
    """
    check_target(path, what)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle, name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")  # created 0600
        os.close(handle)
    except OSError as exc:
        raise DataBorderError(f"{path}: cannot write the {what}: {exc.strerror or exc}") from None
    temporary = Path(name)
    try:
        yield temporary
        with temporary.open("rb+") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        raise DataBorderError(f"{path}: cannot write the {what}: {exc.strerror or exc}") from None
    finally:
        temporary.unlink(missing_ok=True)
