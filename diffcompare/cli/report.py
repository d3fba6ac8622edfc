"""diffcompare report: measure everything and write the comparison report."""
from __future__ import annotations

import time

from .compare import add_target_arguments, target_model

HELP = ("measure every method on the lecture's models -- or on yours, --model MODULE:FUNC --params FILE -- "
        "and write the report (HTML, Markdown, JSON, PNG)")


def add_arguments(p):
    p.add_argument("--out", default="reports",
                   help="output folder (default: reports); replaced in one swap, and only if it is empty or a "
                        "report this command wrote (a file you added there is never deleted: the run refuses)")
    p.add_argument("--quick", action="store_true",
                   help="small experiments and at most two figures per section (about 20 s) instead of the full run")
    p.add_argument("--only", default="", help="comma-separated section keys to run (default: all)")
    p.add_argument("--from-records", metavar="JSON", default=None,
                   help="render from a records.json instead of measuring")
    add_target_arguments(p, default=None)
    p.add_argument("--grad", default=None, metavar="MODULE:FUNC",
                   help="with --model: your hand-written gradient, grad(params) -> dict like params, to check")


def run(args):
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from ..errors import BadOptionError
    from ..records import from_json
    from ..report import build, io
    from ..report.sections import SECTIONS

    sections, command = SECTIONS, None
    if args.model:
        from ..report.sections import yourmodel
        f, params, name = target_model(args.model, args)
        grad = None
        if args.grad:
            from ..usermodel import load_callable
            grad = load_callable(args.grad)
        sections = yourmodel.sections(f, params, name, quick=args.quick, budget=args.budget, grad=grad)
        command = f"diffcompare report --model {args.model}" + (" --quick" if args.quick else "")
    elif args.grad or args.params:
        raise BadOptionError("--grad and --params go with --model")
    keys = [s.key for s in sections]
    only = [k.strip() for k in args.only.split(",") if k.strip()]
    bad = [k for k in only if k not in keys]
    if bad:
        raise BadOptionError(f"unknown section {bad[0]!r}; known: {', '.join(keys)}")
    err = Console(stderr=True)
    t0 = time.perf_counter()
    if args.from_records:
        try:
            with open(args.from_records, encoding="utf-8") as fh:
                meta, records = from_json(fh.read())
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise BadOptionError(f"cannot read records from {args.from_records}: {e}") from None
        io.check_writable(args.out)
        out = io.write_report(args.out, build.render(records, meta, sections=sections))
    else:
        io.check_writable(args.out)
        n = len(only) if only else len(sections)
        with Progress(TextColumn("[bold]report[/]"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeElapsedColumn(), TextColumn("{task.description}"), console=err,
                      transient=False) as bar:
            task = bar.add_task("starting", total=n + 1)

            last = [None]

            def progress(what, done=None, total=None):
                bar.update(task, description=str(what)[:60], **({} if done is None else {"completed": done}))
                if not err.is_terminal and str(what) != last[0]:
                    # a log (CI, a pipe) gets one line per step instead of a bar it cannot redraw
                    last[0] = str(what)
                    err.print(f"report [{bar.tasks[0].completed:g}/{n + 1}] {what}", highlight=False, markup=False)

            out, records = build.build_report(args.out, quick=args.quick, progress=progress,
                                              only=only or None, sections=sections, command=command)
            bar.update(task, description="written", completed=n + 1)
    failed = build.failed_sections(records)
    for key, r in failed.items():
        err.print(f"[yellow]section {key}: {r.extra.get('kind', 'failed')}:[/] {r.value}", highlight=False)
    print(f"report written to {out}/ (index.html, README.md, records.json, figures/) "
          f"in {time.perf_counter() - t0:.1f} s; {len(records)} records"
          + (f"; {len(failed)} section(s) not available or failed" if failed else ""))
    return 0
