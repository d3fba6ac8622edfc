"""The one place that writes files, and the report folder's safety rules.

Single files are written atomically (a temporary sibling, then rename). A report folder is
replaced as a whole -- but only when it is provably a report this tool wrote:

* its ``records.json`` carries the signature ``meta["generator"] == SIGNATURE`` and the
  manifest ``meta["files"]`` of every other file written (a report from before manifests:
  ``meta["command"]`` starts with "diffcompare report" and its manifest is the two pages
  plus the figures README.md links);
* it holds nothing beyond that manifest: a file the user added is never deleted -- the run
  refuses, naming it, with one line (``OutputError``, exit 2); so does any other non-empty
  folder, before minutes of measuring (``check_writable``).

The swap: the new report is written into ``.NAME.new-PID-*`` beside ``out``; then, holding
an exclusive ``flock`` on the parent folder (concurrent writers take turns, and no lock
file is left behind), ``out`` -> ``.NAME.old-PID-*``, new -> ``out``, and the old one is
removed (checked removable beforehand, so it cannot be left half-deleted). A symlinked
``out`` is followed: the folder it points to is replaced. Leftovers of a run that was
SIGKILLed mid-way (its PID is gone) are removed by the next run, and a previous report
caught between the two renames is put back.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from ..errors import DiffcompareError

__all__ = ["write_text", "write_bytes", "save_figure", "figure_png", "OutputError", "SIGNATURE",
           "write_report", "check_writable", "manifest_meta"]

SIGNATURE = "diffcompare report"
MANIFEST_FILE = "records.json"
_LEGACY_PAGES = ("index.html", "README.md")
_SHOW = 3                        # extra files named in a refusal


class OutputError(DiffcompareError):
    """An output path that cannot be written (or must not be replaced)."""


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


# --- what a report folder is ------------------------------------------------------------------

def manifest_meta(files):
    """The signature and manifest to put in the meta of ``records.json``."""
    return {"generator": SIGNATURE, "files": sorted(k for k in files if k != MANIFEST_FILE)}


def _present(folder):
    """Every file (and symlink) below ``folder``, as relative POSIX paths."""
    out = set()
    for root, dirs, files in os.walk(folder):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            out.add(Path(os.path.relpath(os.path.join(root, name), folder)).as_posix())
    return out


def _manifest(folder):
    """The files this tool wrote into ``folder`` (a set), or None when it is not provably ours."""
    try:
        meta = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8")).get("meta")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(meta, dict):
        return None
    if meta.get("generator") == SIGNATURE and isinstance(meta.get("files"), list):
        return {str(f) for f in meta["files"]} | {MANIFEST_FILE}
    if str(meta.get("command", "")).startswith(SIGNATURE):
        try:
            md = (folder / "README.md").read_text(encoding="utf-8")
        except OSError:
            return None
        return set(_LEGACY_PAGES) | {MANIFEST_FILE} | set(re.findall(r"\]\((figures/[^)\s]+\.png)\)", md))
    return None


def _unremovable(folder):
    """A folder below ``folder`` whose entries this process cannot delete, or None."""
    for root, _dirs, _files in os.walk(folder):
        if not os.access(root, os.W_OK | os.X_OK):
            return root
    return None


def _check_replaceable(out):
    """Refuse (OutputError, one line) unless ``out`` is absent, empty, or a report of ours
    holding nothing but its manifest."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"cannot write the report to {out}: it exists and is not a folder")
    if not out.is_dir():
        return
    try:
        present = _present(out)
    except OSError as e:
        raise OutputError(f"cannot write the report to {out}: {e.strerror or e}") from None
    if not present and not os.listdir(out):
        return
    ours = _manifest(out)
    if ours is None:
        raise OutputError(f"refusing to replace {out}: it is not empty and not a report this tool wrote "
                          f"(no signed {MANIFEST_FILE}); choose another --out")
    extra = sorted(present - ours)
    if extra:
        names = ", ".join(extra[:_SHOW]) + (f" and {len(extra) - _SHOW} more" if len(extra) > _SHOW else "")
        raise OutputError(f"refusing to replace {out}: it holds {names}, which this tool did not write; "
                          "move it out or choose another --out")
    bad = _unremovable(out)
    if bad is not None:
        raise OutputError(f"refusing to replace {out}: {bad} cannot be emptied (no write permission), so "
                          "the old report could not be removed")


# --- the swap -----------------------------------------------------------------------------------

def _target(out):
    """The real folder to replace: a symlinked ``out`` is followed."""
    return Path(os.path.realpath(out))


@contextmanager
def _locked(parent):
    fd = os.open(parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)              # closing releases the lock


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _recover(out):
    """Remove the staging folders of runs that died (SIGKILL) and put back a previous report
    they left between the two renames. Call with the parent locked."""
    pat = re.compile(rf"^\.{re.escape(out.name)}\.(new|old)-(\d+)-")
    for entry in sorted(os.listdir(out.parent)):
        m = pat.match(entry)
        if not m or _alive(int(m.group(2))):
            continue
        path = out.parent / entry
        if m.group(1) == "old" and not os.path.lexists(out):
            os.rename(path, out)
        else:
            shutil.rmtree(path, ignore_errors=True)


def _mode_for_reading(folder):
    # temporary files are private (0600); a report is for reading: the umask's usual modes
    mask = os.umask(0)
    os.umask(mask)
    for path in folder.rglob("*"):
        os.chmod(path, (0o777 if path.is_dir() else 0o666) & ~mask)
    os.chmod(folder, 0o777 & ~mask)


def check_writable(out):
    """Fail early (before minutes of measuring) if ``out`` cannot be replaced; tidy what
    killed runs left behind."""
    out = _target(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with _locked(out.parent):       # read under the lock: a writer mid-swap is not seen half done
            _recover(out)
            _check_replaceable(out)
        probe = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-{os.getpid()}-", dir=out.parent))
        probe.rmdir()
    except OSError as e:
        raise OutputError(f"cannot write the report to {out}: {e.strerror or e}") from None
    return out


def write_report(out, files):
    """Write ``files`` ({relative path: bytes}) as the folder ``out``, replacing a previous
    report of ours in one swap (see the module's docstring). Returns the folder written."""
    out = check_writable(out)
    tmp = None
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-{os.getpid()}-", dir=out.parent))
        for rel, data in files.items():
            write_bytes(tmp / rel, data)
        _mode_for_reading(tmp)
        old = None
        with _locked(out.parent):
            _recover(out)
            _check_replaceable(out)
            if os.path.lexists(out):
                old = out.parent / f".{out.name}.old-{os.getpid()}-{tmp.name.rsplit('-', 1)[-1]}"
                os.rename(out, old)
            try:
                os.rename(tmp, out)
            except BaseException:
                if old is not None:
                    os.rename(old, out)
                raise
            tmp = None
            if old is not None:
                shutil.rmtree(old)
    except OSError as e:
        raise OutputError(f"cannot write the report to {out}: {e.strerror or e}") from None
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return out
