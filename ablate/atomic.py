"""Files that are either old or new, never half-written: a SIGKILL at any instant leaves a readable state.

Every write of a file that others read back (JSON state, manifests, reports, trial tables) goes through here: the
content is written to a temporary file beside the target (a dot-name, so folder readers such as
`pandas.read_parquet(folder)` skip it), flushed to disk, renamed over the target, and the folder is synced so the
rename survives a power loss too. A crash leaves at most a stray `.name.*.tmp` file, never a torn target.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def write_with(path: str | Path, write: Callable[[Path], object]) -> None:
    """Atomically create or replace `path` with what `write(tmp)` writes to the temporary path it is given."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        _fsync(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; the file should read like any other
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:
        _fsync(path.parent)
    except OSError as e:  # some file systems cannot sync a folder; the file itself is on disk
        if e.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise


def write_text(path: str | Path, text: str) -> None:
    write_with(path, lambda tmp: tmp.write_text(text))


def write_json(path: str | Path, data: Any) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def write_table(path: str | Path, table: pd.DataFrame) -> None:
    """A data frame as CSV (a `.csv` path) or parquet (any other), without its index."""
    path = Path(path)
    if path.suffix == ".csv":
        write_with(path, lambda tmp: table.to_csv(tmp, index=False))
    else:
        write_with(path, lambda tmp: table.to_parquet(tmp, index=False))


def read_json(path: str | Path, default: Any = None) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        return default


def _fsync(path: Path) -> None:
    """Flush a file's (or a folder's entries') data to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
