"""Command line: ``python -m tinygrad_edu demo``."""

import argparse

from .demo import run_demo
from .engine import keep_freed_memory


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tinygrad_edu", description="tinygrad_edu command line")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="micrograd's expression with gradients and gradcheck, then the moons MLP "
                                             "trained, drawn and its decision boundary plotted")
    demo.add_argument("--out", default=".", help="folder for moons_graph.svg and moons_boundary.png")
    args = parser.parse_args(argv)
    if args.command == "demo":
        keep_freed_memory()  # a training program's choice: reuse freed arrays' memory (README: Performance)
        run_demo(args.out)


if __name__ == "__main__":
    main()
