"""The ``diffcompare`` command. Each subcommand is a module in this package defining
``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> exit code``; adding a
command is adding a file and its name to ``commands()``.

Errors: a ``DiffcompareError`` (or a bad argument) prints ONE line on stderr and exits 2.
"""
from __future__ import annotations

import argparse
import sys

from ..errors import DiffcompareError
from ..timing import steady_allocator
from . import check, compare, explain, fd, report, slide, swell, trace, train


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # argparse prints usage and a message; we print one line.
        sys.stderr.write(f"diffcompare: error: {message} (see --help)\n")
        sys.exit(2)


def commands():
    """Subcommand name -> module, in name order."""
    mods = (check, compare, explain, fd, report, slide, swell, trace, train)
    return {m.__name__.rsplit(".", 1)[-1]: m for m in mods}


def build_parser():
    p = _Parser(prog="diffcompare", description="One model, differentiated three ways.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, mod in commands().items():
        sp = sub.add_parser(name, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(sp)
        sp.set_defaults(_run=mod.run)
    return p


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    steady_allocator()      # the experiments' timings: no heap trimmed and re-faulted per call
    try:
        return int(args._run(args) or 0)
    except DiffcompareError as e:
        sys.stderr.write(f"diffcompare: error: {' '.join(str(e).split())}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("diffcompare: interrupted\n")
        return 130
    except BrokenPipeError:
        # `diffcompare trace ... | head`: the reader left; say nothing more.
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
