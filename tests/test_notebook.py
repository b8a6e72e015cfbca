"""tinygrad_edu in a real Jupyter kernel: a small notebook executed with nbclient (issue 18, notebook polish).

Each plot function's figure shows exactly once (as the cell's value; the inline backend does not draw it
again), and ``fit``'s progress bar shows in the notebook without asking for it (a widget with ipywidgets,
text on stderr without).
"""

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parents[1]

CELLS = {
    "setup": """\
import tinygrad_edu as tg
from tinygrad_edu.data import DataLoader, TensorDataset, make_moons
from tinygrad_edu.models import MLP
from tinygrad_edu.train import fit
from tinygrad_edu.viz import Monitor, plot_activations, plot_decision_boundary, plot_gradients, plot_history

tg.manual_seed(0)
X, y = make_moons(64, noise=0.1, seed=0)
model = MLP([2, 8, 8, 2], activation="tanh")
monitor = Monitor(model)
loader = DataLoader(TensorDataset(X, y), batch_size=16)
optimizer = tg.optim.Adam(model.parameters(), lr=0.01)""",
    "fit": "history = fit(model, tg.nn.CrossEntropyLoss(), optimizer, loader, epochs=1)",
    "gradients": "plot_gradients(monitor)",
    "activations": "plot_activations(monitor)",
    "boundary": "plot_decision_boundary(model, X, y, resolution=50)",
    "assigned": "fig = plot_history(history)",
    "shown": "fig",
    "explorer": """\
loss = tg.nn.functional.cross_entropy(model(tg.Tensor(X)), tg.Tensor(y))
loss.backward()
tg.viz.explore(loss, model, path=None)""",
}


@pytest.fixture(scope="module")
def executed():
    """The notebook's cells, by name, after running them in a fresh python3 kernel started in the repository
    root (so it imports this checkout), with matplotlib's default notebook backend (the inline one)."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source, metadata={"name": name}) for name, source in CELLS.items()]
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("MPLBACKEND", raising=False)  # the kernel picks the inline backend, as for a user
        nbclient.NotebookClient(notebook, kernel_name="python3", timeout=120,
                                resources={"metadata": {"path": str(ROOT)}}).execute()
    nbformat.validate(notebook)
    return {cell.metadata["name"]: cell for cell in notebook.cells}


def _images(cell):
    return [out for out in cell.outputs if "image/png" in out.get("data", {})]


def _errors(cell):
    return [f"{out.ename}: {out.evalue}" for out in cell.outputs if out.output_type == "error"]


def test_notebook_runs_without_errors(executed):
    assert {name: _errors(cell) for name, cell in executed.items() if _errors(cell)} == {}


def test_importing_prints_nothing(executed):
    # tqdm.auto's "IProgress not found" warning (no ipywidgets) is not shown on import: the text bar works
    assert executed["setup"].outputs == []


@pytest.mark.parametrize("name", ["gradients", "activations", "boundary", "shown"])
def test_each_plot_shows_exactly_once(executed, name):
    cell = executed[name]
    assert len(_images(cell)) == 1, [out.output_type for out in cell.outputs]
    assert [out.output_type for out in cell.outputs] == ["execute_result"]  # not also a display_data


def test_a_plot_assigned_to_a_name_is_not_drawn(executed):
    assert executed["assigned"].outputs == []


def test_fit_shows_its_progress_bar_in_the_notebook(executed):
    outputs = executed["fit"].outputs
    widgets = [out for out in outputs if "application/vnd.jupyter.widget-view+json" in out.get("data", {})]
    text = "".join(out.text for out in outputs if out.output_type == "stream" and out.name == "stderr")
    assert widgets or ("Epoch 1/1" in text and "4/4" in text and "loss=" in text), outputs


def test_the_explorer_shows_inline_once(executed):
    cell = executed["explorer"]
    pages = [out for out in cell.outputs if "text/html" in out.get("data", {})]
    assert len(pages) == 1, cell.outputs
    html = pages[0]["data"]["text/html"]
    assert "<iframe" in html and "layers.0.weight" in html  # the whole page, inline, with the model's names
