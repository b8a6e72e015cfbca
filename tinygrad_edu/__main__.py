"""Command line: ``python -m tinygrad_edu demo`` and ``python -m tinygrad_edu run script.py [args...]``."""

import argparse
import sys

from .demo import run_demo
from .engine import keep_freed_memory
from .run import MissingName
from .run import run as run_script


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tinygrad_edu", description="tinygrad_edu command line")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="micrograd's expression with gradients and gradcheck, then the moons MLP "
                                             "trained, drawn and its decision boundary plotted")
    demo.add_argument("--out", default=".", help="folder for moons_graph.svg and moons_boundary.png")
    run = commands.add_parser("run", help="run a PyTorch program unchanged, with `torch` resolved to tinygrad_edu")
    run.add_argument("--graph", metavar="PATH", help="also write the graph of the first backward() "
                                                     "(.svg, .png, .pdf or .dot)")
    run.add_argument("script", help="the Python file to run")
    run.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the script as sys.argv[1:]")
    args = parser.parse_args(argv)
    if args.command == "demo":
        keep_freed_memory()  # a training program's choice: reuse freed arrays' memory (README: Performance)
        run_demo(args.out)
    elif args.command == "run":
        try:
            run_script(args.script, args.args, graph=args.graph)
        except MissingName as e:
            print(f"tinygrad_edu run: {e}", file=sys.stderr)
            sys.exit(1)


if __name__ == "__main__":
    main()
