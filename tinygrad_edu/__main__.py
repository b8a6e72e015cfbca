"""Command line: ``python -m tinygrad_edu demo``."""

import argparse

from .demo import run_demo


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tinygrad_edu", description="tinygrad_edu command line")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="build micrograd's expression, print values and gradients, run gradcheck")
    args = parser.parse_args(argv)
    if args.command == "demo":
        run_demo()


if __name__ == "__main__":
    main()
