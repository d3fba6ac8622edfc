"""diffcompare slide: the lecture's summary slide, each claim beside a measured number."""
from __future__ import annotations

import os

HELP = "print the lecture's summary slide with the measured evidence (from reports/records.json or a quick run)"


def add_arguments(p):
    p.add_argument("--records", default=None,
                   help="records of a report run to read (default: reports/records.json here, "
                        "else the one committed beside the package)")
    p.add_argument("--measure", action="store_true",
                   help="run a quick measurement even if the records file exists")
    p.add_argument("--png", default=None, metavar="PATH", help="also write the slide as a PNG")


def run(args):
    from ..errors import BadOptionError
    from ..records import from_json
    from ..report import io
    from ..report.slide import slide_figure, slide_text

    if args.records is None:
        from pathlib import Path
        here = os.path.join("reports", "records.json")
        repo = Path(__file__).resolve().parents[2] / "reports" / "records.json"
        args.records = here if os.path.exists(here) or not repo.exists() else str(repo)
    if not args.measure and os.path.exists(args.records):
        try:
            with open(args.records, encoding="utf-8") as fh:
                meta, records = from_json(fh.read())
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise BadOptionError(f"cannot read records from {args.records}: {e}") from None
        source = f"numbers read from {args.records} ({meta.get('mode', '?')} run of {meta.get('generated', '?')})"
    else:
        from ..report.build import run_sections
        why = "--measure" if args.measure else f"{args.records} not found"
        records = run_sections(quick=True, only=("summary", "accuracy", "speed", "fd_stability", "swell", "gradcheck"))
        source = f"numbers from a quick measurement just now ({why})"
    print(slide_text(records, source))
    if args.png:
        io.save_figure(slide_figure(records), args.png)
        print(f"slide written to {args.png}")
    return 0
