"""The lesson notebooks in notebooks/: stored without outputs, on the site, and each one runs.

Each notebook asserts the facts it teaches (a gradient check passes, a hand-written layer equals ``nn``'s,
naive initialization saturates more units than scaled), so running it is its test: a cell that raises
fails here. They run in a fresh kernel started in notebooks/, as a reader's Jupyter would.
"""

import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
LESSONS = [
    "01_autograd_from_scratch", "02_normalization_by_hand", "03_is_my_network_healthy",
    "04_optimizers_and_activations", "05_convolution", "06_recurrent_networks", "07_attention",
]


def test_every_lesson_is_there_and_on_the_site():
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == LESSONS
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for name in LESSONS:
        assert f"notebooks/{name}.ipynb" in nav, name


@pytest.mark.parametrize("name", LESSONS)
def test_stored_without_outputs(name):
    """Outputs are made by running the notebook (in CI, and when the site is built), never committed."""
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(cell.outputs == [] and cell.execution_count is None for cell in code)
    assert notebook.cells[0].cell_type == "markdown" and notebook.cells[0].source.startswith("# ")
    assert notebook.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.slow
@pytest.mark.parametrize("name", LESSONS)
def test_runs(name, monkeypatch):
    """Every cell runs without an error (and so every assertion in it holds), in a fresh python3 kernel with
    matplotlib's inline backend; prints how long it took (the lessons aim at under 2 minutes on 2 cores)."""
    monkeypatch.delenv("MPLBACKEND", raising=False)
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    start = time.perf_counter()
    nbclient.NotebookClient(notebook, kernel_name="python3", timeout=600,
                            resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    print(f"{name}: {time.perf_counter() - start:.1f} s")
    errors = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs
              if out.output_type == "error"]
    assert errors == []
