"""The one place that writes files: atomically (write to a temporary sibling, then rename),
so an interrupted run never leaves a half-written file behind."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import DiffcompareError

__all__ = ["write_text", "write_bytes", "save_figure", "OutputError"]


class OutputError(DiffcompareError):
    """An output path that cannot be written."""


def write_bytes(path, data: bytes):
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from None
    return path


def write_text(path, text: str):
    return write_bytes(path, text.encode("utf-8"))


def figure_png(fig, dpi=110) -> bytes:
    """A matplotlib Figure as PNG bytes (closed afterwards)."""
    import io

    import matplotlib.pyplot as plt
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def save_figure(fig, path, dpi=110):
    return write_bytes(path, figure_png(fig, dpi))
