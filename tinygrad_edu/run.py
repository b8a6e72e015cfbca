"""Run a PyTorch program unchanged on tinygrad_edu: ``python -m tinygrad_edu run script.py [args...]``.

An import hook resolves ``torch`` and its submodules to tinygrad_edu's by name (``torch.nn.functional``
is ``tinygrad_edu.nn.functional``, ``torch.utils.data`` is ``tinygrad_edu.utils.data``); it adds no
behaviour of its own, so whatever the program computes, tinygrad_edu computes. When the program asks for
a name tinygrad_edu does not have, the run stops with one line naming it and the line of the script that
asked, instead of a traceback through the library.

``--graph PATH`` also writes the graph of the program's first ``backward()`` (SVG, PNG, PDF or DOT by
the extension), drawn with :func:`tinygrad_edu.viz.save_graph`.
"""

import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys
import types

from .engine import Tensor
from .viz.graph import save_graph

__all__ = ["run", "MissingName", "TorchNames"]


class TorchNames(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """A meta path finder: ``torch.X.Y`` is the module (or namespace object) ``tinygrad_edu.X.Y``."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "torch" or fullname.startswith("torch."):
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        ours = "tinygrad_edu" + spec.name[len("torch"):]
        try:
            return importlib.import_module(ours)
        except ModuleNotFoundError:
            pass
        found = importlib.import_module("tinygrad_edu")  # a namespace such as tinygrad_edu.backends.cudnn
        for part in spec.name.split(".")[1:]:
            found = getattr(found, part, None)
        if found is None:
            raise ModuleNotFoundError(f"{spec.name} is not provided by tinygrad_edu", name=spec.name)
        if isinstance(found, types.ModuleType):
            return found
        module = types.ModuleType(spec.name, getattr(found, "__doc__", None))
        module.__dict__.update({k: getattr(found, k) for k in dir(found) if not k.startswith("__")})
        return module

    def exec_module(self, module):
        """Nothing to run: the module is tinygrad_edu's, already imported."""


class MissingName(Exception):
    """What tinygrad_edu lacks, and where the script asked for it."""


def _in_torch_terms(text):
    return text.replace("tinygrad_edu", "torch")


def _missing(error, script):
    """The one-line message for ``error`` if it is a name tinygrad_edu lacks (else None), with the line of
    ``script`` that asked."""
    if isinstance(error, AttributeError) and getattr(error, "obj", None) is not None:
        obj = error.obj
        if isinstance(obj, types.ModuleType):
            owner, source = obj.__name__, obj.__name__
        elif isinstance(obj, type):
            owner, source = obj.__name__, obj.__module__
        else:
            owner, source = type(obj).__name__, type(obj).__module__
        if not (source or "").startswith("tinygrad_edu"):
            return None
        name = f"{_in_torch_terms(owner)}.{error.name}"
    elif isinstance(error, ModuleNotFoundError) and (error.name or "").startswith("torch"):
        name = error.name
    elif isinstance(error, ImportError) and (error.name or "").startswith(("torch", "tinygrad_edu")):
        name = f"{_in_torch_terms(error.name)}: {_in_torch_terms(str(error))}"
    else:
        return None
    where = "?"
    tb = error.__traceback__
    while tb is not None:
        if os.path.abspath(tb.tb_frame.f_code.co_filename) == os.path.abspath(script):
            where = tb.tb_lineno
        tb = tb.tb_next
    return f"{script}:{where}: {name} is not provided by tinygrad_edu"


def _record_first_backward(path):
    """Make the first ``backward()`` also write its graph to ``path``; returns the function that undoes it."""
    original = Tensor.backward

    def backward(self, *args, **kwargs):
        Tensor.backward = original
        save_graph(self, path)
        print(f"tinygrad_edu run: wrote the graph of the first backward() to {path}", file=sys.stderr)
        return original(self, *args, **kwargs)

    Tensor.backward = backward
    return lambda: setattr(Tensor, "backward", original)


def run(script, args=(), graph=None):
    """Run ``script`` (a path) as ``__main__`` with ``sys.argv = [script, *args]`` and ``torch`` resolved to
    tinygrad_edu. Raises :class:`MissingName` naming what the script asked for and tinygrad_edu lacks."""
    finder = TorchNames()
    saved_argv, saved_modules = sys.argv, {k: v for k, v in sys.modules.items() if k.split(".")[0] == "torch"}
    sys.meta_path.insert(0, finder)
    for name in saved_modules:  # a real torch imported earlier in this process must not answer for us
        del sys.modules[name]
    sys.argv = [script, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))  # as `python script.py`: its folder first
    undo = _record_first_backward(graph) if graph else (lambda: None)
    try:
        runpy.run_path(script, run_name="__main__")
    except (AttributeError, ImportError) as e:
        line = _missing(e, script)
        if line is None:
            raise
        raise MissingName(line) from None
    finally:
        undo()
        sys.argv = saved_argv
        sys.path.remove(os.path.dirname(os.path.abspath(script)))
        sys.meta_path.remove(finder)
        for name in [k for k in sys.modules if k.split(".")[0] == "torch"]:
            del sys.modules[name]
        sys.modules.update(saved_modules)

