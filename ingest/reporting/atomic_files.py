"""Files readers never see half-written: write beside the target, then rename over it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(target: Path, suffix: str = ".partial") -> Iterator[Path]:
    """The path to write `target`'s new content to. It replaces `target` when the block ends
    normally; when the block fails (a full disk, an interrupted run) it is removed, so no
    `.partial` file is left behind and the previous `target` stays as it was."""
    partial = target.with_name(target.name + suffix)
    try:
        yield partial
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
