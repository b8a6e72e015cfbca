"""MkDocs hooks: the pages that are generated from the code when the site is built, so they cannot drift.

- ``derivatives/``: one page per op family from the primitives' docstrings and source
  (:func:`tinygrad_edu.engine.derivatives.derivative_pages`), and an index with the whole table;
- ``api/``: one mkdocstrings page per public module, listed in ``API`` below;
- ``benchmarks.md``: ``benchmarks/README.md`` as it is in the repository.
"""

import importlib
import inspect
from pathlib import Path

from mkdocs.structure.files import File

from tinygrad_edu.engine.derivatives import derivative_pages, derivative_table

ROOT = Path(__file__).resolve().parents[1]

# page name -> (module, what it is); every public module of the package has a page
API = {
    "tensor": ("tinygrad_edu.Tensor", "The Tensor: data, its gradient, the graph it records, and every method."),
    "tinygrad_edu": ("tinygrad_edu", "The top-level functions (`tg.<name>` where PyTorch has `torch.<name>`)."),
    "autograd": ("tinygrad_edu.autograd", "`grad`, `backward`, custom functions and the graph's hooks."),
    "autograd.functional": ("tinygrad_edu.autograd.functional", "Jacobians, Hessians and their products."),
    "autograd.graph": ("tinygrad_edu.autograd.graph", "Version counters: counting a write made outside the engine."),
    "linalg": ("tinygrad_edu.linalg", "Norms and matrix functions."),
    "nn": ("tinygrad_edu.nn", "Modules: layers, losses, containers."),
    "nn.functional": ("tinygrad_edu.nn.functional", "The layers' functions, composed from primitives."),
    "nn.init": ("tinygrad_edu.nn.init", "Weight initialization."),
    "nn.utils": ("tinygrad_edu.nn.utils", "Gradient clipping, parameter vectors."),
    "optim": ("tinygrad_edu.optim", "Optimizers."),
    "optim.lr_scheduler": ("tinygrad_edu.optim.lr_scheduler", "Learning-rate schedules."),
    "data": ("tinygrad_edu.data", "Datasets, loaders, samplers and the bundled data."),
    "models": ("tinygrad_edu.models", "MLP, CNN, character-level RNN and seq2seq Transformer."),
    "train": ("tinygrad_edu.train", "`fit` and `evaluate`: the training loop, history and checkpoints."),
    "viz": ("tinygrad_edu.viz", "Graph drawing, the interactive explorer and training diagnostics."),
    "utils.data": ("tinygrad_edu.utils.data", "`torch.utils.data`'s names."),
    "utils.tensorboard": ("tinygrad_edu.utils.tensorboard", "`SummaryWriter`, as `torch.utils.tensorboard`'s."),
    "run": ("tinygrad_edu.run", "`python -m tinygrad_edu run script.py`: a PyTorch program, unchanged."),
}


def _derivatives_index(pages):
    counts = {family: page.count("\n## ") for family, page in pages.items()}
    links = "\n".join(f"- [{family}]({family}.md): {n} primitive{'s' if n > 1 else ''}" for family, n in counts.items())
    table = derivative_table()
    table = table[table.index("| primitive"):]  # without the file's title and its note on regenerating it
    return f"""# The derivative of every operation

Every differentiable operation in tinygrad_edu is built from a small set of primitives. Each primitive
is one function: its NumPy forward, a backward closure that returns one gradient per input, and the
local derivative written in its docstring. These pages are generated from that code when the site is
built, so what you read here is what runs.

Each page shows, per primitive, the forward in words, the derivative, and the whole function (the
backward closure included). A fused primitive, which computes a composition in fewer NumPy passes,
is shown beside the plain composition of ops it replaces.

{links}

## All primitives

G or g is the gradient arriving at the op's output (H for an op that is itself a gradient), `out` the
output.

{table}"""


def _api_page(name, module, what):
    """A page documenting ``module``'s public names, its ``__all__`` (the names it imports stay with the
    modules that define them; the subpackages and Tensor have pages of their own)."""
    path, _, attr = module.rpartition(".")
    obj = getattr(importlib.import_module(path), attr) if attr == "Tensor" else importlib.import_module(module)
    options = ""
    if hasattr(obj, "__all__"):
        members = [n for n in obj.__all__ if n != "Tensor" and not inspect.ismodule(getattr(obj, n))]
        options = "\n    options:\n      members:\n" + "".join(f"        - {n}\n" for n in members)
    return f"# {name}\n\n{what}\n\n::: {module}{options}\n"


def on_files(files, config):
    pages = derivative_pages()
    generated = {"derivatives/index.md": _derivatives_index(pages)}
    generated.update({f"derivatives/{family}.md": page for family, page in pages.items()})
    generated.update({f"api/{name}.md": _api_page(name, *spec) for name, spec in API.items()})
    generated["benchmarks.md"] = (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8")
    for path, content in generated.items():
        files.append(File.generated(config, path, content=content))
    return files
