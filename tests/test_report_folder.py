"""The report folder (issue 12 #1): replaced only when provably ours, a user's file never
deleted, no .old-*/.new-* left by symlinks, undeletable folders, concurrent writers or kills."""
import json
import os
import threading

import pytest

from diffcompare.cli import main
from diffcompare.report import io


def _report(out, text=b"previous report"):
    return _write_ours(out, {"index.html": text, "README.md": b"# r", "figures/a.png": b"png"})


def _listing(folder):
    return sorted(os.listdir(folder))


def _records_json(files, **meta):
    return json.dumps({"meta": {**meta, **io.manifest_meta(files)}, "records": []}).encode()


def test_12_1_a_report_of_ours_is_replaced_in_one_swap(tmp_path):
    out = tmp_path / "reports"
    files = {"index.html": b"new", "figures/b.png": b"png"}
    files["records.json"] = _records_json(files)
    _report(out)
    io.write_report(out, files)
    assert (out / "index.html").read_bytes() == b"new" and not (out / "figures/a.png").exists()
    mask = os.umask(0)
    os.umask(mask)
    assert (out / "figures/b.png").stat().st_mode & 0o777 == 0o666 & ~mask     # not mkstemp's 0600
    assert _listing(tmp_path) == ["reports"]                                  # no temporary or old folder


def _write_ours(out, files):
    files = dict(files)
    files["records.json"] = _records_json(files)
    return io.write_report(out, files)


def test_12_1_a_folder_that_is_not_a_report_is_refused(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("precious")
    for fn in (lambda: io.write_report(home, {"index.html": b"x"}), lambda: io.check_writable(home)):
        with pytest.raises(io.OutputError, match="not a report this tool wrote"):
            fn()
    assert (home / "thesis.tex").read_text() == "precious" and _listing(tmp_path) == ["home"]
    (tmp_path / "empty").mkdir()
    _write_ours(tmp_path / "empty", {"index.html": b"x"})          # an empty folder is fine


def test_12_1_a_records_json_that_is_not_ours_does_not_make_a_report(tmp_path, capsys):
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "records.json").write_text('{"mine": 1}')
    (proj / "analysis.py").write_text("print(42)")
    src = tmp_path / "r.json"
    src.write_text(json.dumps({"meta": {}, "records": []}))
    assert main(["report", "--from-records", str(src), "--out", str(proj)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("diffcompare: error: refusing to replace")
    assert _listing(proj) == ["analysis.py", "records.json"]


def test_12_1_a_file_the_user_added_to_a_report_is_never_deleted(tmp_path):
    out = _write_ours(tmp_path / "reports", {"index.html": b"old", "figures/a.png": b"png"})
    (out / "notes.txt").write_text("mine")
    (out / "figures" / "extra.png").write_bytes(b"mine too")
    with pytest.raises(io.OutputError, match=r"figures/extra.png, notes.txt, which this tool did not write"):
        _write_ours(out, {"index.html": b"new"})
    assert (out / "notes.txt").read_text() == "mine" and (out / "index.html").read_bytes() == b"old"
    assert _listing(tmp_path) == ["reports"]


def test_12_1_a_report_from_before_manifests_is_recognised_by_its_links(tmp_path):
    out = tmp_path / "reports"
    (out / "figures").mkdir(parents=True)
    (out / "records.json").write_text(json.dumps({"meta": {"command": "diffcompare report"}, "records": []}))
    (out / "README.md").write_text("![a](figures/a.png)")
    (out / "index.html").write_text("old")
    (out / "figures" / "a.png").write_bytes(b"png")
    (out / "mine.py").write_text("x = 1")
    with pytest.raises(io.OutputError, match="mine.py"):
        _write_ours(out, {"index.html": b"new"})
    (out / "mine.py").unlink()
    _write_ours(out, {"index.html": b"new"})
    assert (out / "index.html").read_bytes() == b"new"


@pytest.mark.parametrize("exc", [KeyboardInterrupt, OSError])
def test_12_1_an_interrupted_write_leaves_the_previous_report(tmp_path, monkeypatch, exc):
    out = _report(tmp_path / "reports")
    calls = []
    real = io.write_bytes

    def flaky(path, data):
        calls.append(path)
        if len(calls) == 2:
            raise exc("interrupted")
        return real(path, data)
    monkeypatch.setattr(io, "write_bytes", flaky)
    with pytest.raises(KeyboardInterrupt if exc is KeyboardInterrupt else io.OutputError):
        _write_ours(out, {"a": b"1", "b": b"2", "c": b"3"})
    assert (out / "index.html").read_text() == "previous report"
    assert _listing(tmp_path) == ["reports"]


def test_12_1_a_symlinked_out_replaces_the_folder_it_points_to(tmp_path):
    real = _report(tmp_path / "store" / "real")
    (tmp_path / "work").mkdir()
    link = tmp_path / "work" / "reports"
    link.symlink_to(real)
    _write_ours(link, {"index.html": b"new"})
    assert link.is_symlink() and (link / "index.html").read_bytes() == b"new"
    assert _listing(tmp_path / "store") == ["real"] and _listing(tmp_path / "work") == ["reports"]


def test_12_1_a_previous_report_that_cannot_be_emptied_is_refused_before_the_swap(tmp_path, monkeypatch):
    out = _report(tmp_path / "reports")
    stuck = str(out / "figures")
    real_access = os.access
    monkeypatch.setattr(io.os, "access", lambda p, mode: False if str(p) == stuck else real_access(p, mode))
    with pytest.raises(io.OutputError, match="cannot be emptied"):
        _write_ours(out, {"index.html": b"new"})
    assert (out / "index.html").read_text() == "previous report" and _listing(tmp_path) == ["reports"]


def test_12_1_concurrent_writers_take_turns_and_leave_nothing_behind(tmp_path):
    out = _report(tmp_path / "reports")
    errors = []

    def writer(k):
        try:
            _write_ours(out, {"index.html": f"writer {k}".encode(), "figures/x.png": b"png"})
        except Exception as e:     # noqa: BLE001 -- collected and asserted below
            errors.append(e)
    threads = [threading.Thread(target=writer, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert (out / "index.html").read_text().startswith("writer ")
    assert _listing(tmp_path) == ["reports"] and _listing(out) == ["figures", "index.html", "records.json"]


def test_12_1_leftovers_of_a_killed_run_are_tidied_and_its_previous_report_put_back(tmp_path):
    out = _report(tmp_path / "reports")
    dead = 2 ** 22 + 12345                      # above pid_max's default: no such process
    os.rename(out, tmp_path / f".reports.old-{dead}-abc")       # killed between the two renames
    (tmp_path / f".reports.new-{dead}-xyz").mkdir()
    (tmp_path / f".reports.new-{dead}-xyz" / "index.html").write_text("half")
    alive = tmp_path / f".reports.new-{os.getpid()}-live"        # a running writer's: left alone
    alive.mkdir()
    io.check_writable(out)
    assert (out / "index.html").read_text() == "previous report"
    assert _listing(tmp_path) == [alive.name, "reports"]
