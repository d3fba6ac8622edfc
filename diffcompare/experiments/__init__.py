"""Experiments: each module measures one thing and returns plain records.

The protocol every experiment module follows (the report's sections import them directly):

    run(quick: bool = False, progress: Progress = silent) -> list[Record]

An experiment computes and returns records; it never prints, plots or writes a file. Its
metric names are module constants (``TREE = "tree"``), imported by the renderers that read
them, and every accuracy record names its ``reference``.

``progress`` is THE progress protocol, shared by experiments, the report and the CLI:

    progress(what: str, done: int | None = None, total: int | None = None)

``what`` says what runs now; ``done``/``total`` (when known) how far along it is. A
renderer of progress (rich's bar, or one line per step when stdout is not a terminal)
lives in the CLI, never here.
"""
from __future__ import annotations

from typing import Optional, Protocol

__all__ = ["Progress", "silent"]


class Progress(Protocol):
    def __call__(self, what: str, done: Optional[int] = None, total: Optional[int] = None) -> None: ...


def silent(what, done=None, total=None):
    """The progress callback that shows nothing."""
