"""The output folder of ``vrueval run``: checked before fitting, locked while in use.

One run owns its ``--out`` folder from before the fit until its ``results.json`` is in place:

- the folder is checked first (a file, or a folder that cannot be written, fails at once rather
  than after a long fit);
- it is locked with ``flock`` on the folder itself, so a second run to the same folder stops
  with a message instead of interleaving (the lock goes with the process, so a killed run
  leaves no stale lock file);
- results of a *different* analysis already there are kept unless the user passes ``--force``;
- a folder the run created is removed again if the run fails or is interrupted, and the results
  file is written atomically (:mod:`vrueval.atomic`), so nothing partial is left behind.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

RESULTS = "results.json"


class OutputError(Exception):
    """An output folder that cannot take this run's results, with the reason."""


def check_writable(out: Path) -> None:
    """Fail unless ``out`` is, or can be created as, a folder this process can write into."""
    existing = out
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing == out and not out.is_dir():
        raise OutputError(f"--out {out}: is a file, not a folder")
    if not existing.is_dir():
        raise OutputError(f"--out {out}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"--out {out}: {existing} is not writable")


def check_previous(out: Path, name: str, force: bool) -> None:
    """Refuse to replace the results of another analysis (or an unreadable file) unless forced."""
    path = out / RESULTS
    if force or not path.exists():
        return
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))["analysis"]["name"]
    except (OSError, ValueError, KeyError, TypeError):
        raise OutputError(
            f"--out {out}: {path} is not a vrueval results file; "
            "choose another folder or pass --force to replace it"
        ) from None
    if previous != name:
        raise OutputError(
            f"--out {out}: holds the results of analysis {previous!r}, not {name!r}; "
            "choose another folder or pass --force to replace them"
        )


@contextmanager
def claimed(out: Path, name: str, force: bool = False) -> Iterator[Path]:
    """Check, create and lock ``out`` for the results of analysis ``name``; yield it.

    On an exception (including Ctrl-C) inside the block, the folders this call created are
    removed again when empty.
    """
    check_writable(out)
    created = [p for p in (out, *out.parents) if not p.exists()]
    out.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            # Not ours to clean up: the run holding the lock may have created the folder.
            raise OutputError(
                f"--out {out}: another vrueval run is writing there; "
                "wait for it to finish or choose another folder"
            ) from None
        try:
            check_previous(out, name, force)
            yield out
        except BaseException:
            for folder in created:  # innermost first; only while still empty
                try:
                    folder.rmdir()
                except OSError:
                    break
            raise
    finally:
        os.close(fd)  # releases the lock
