"""The documentation site: the generated derivative pages cover every primitive with its code, every page
in the navigation exists, and (with MkDocs installed) the site builds in strict mode: no broken link, no
missing reference, no page left out."""

import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tinygrad_edu.engine.derivatives import FAMILIES, derivative_pages, family
from tinygrad_edu.engine.ops import PRIMITIVES

ROOT = Path(__file__).resolve().parents[1]


def test_derivative_pages_show_every_primitive_with_its_derivative_and_code():
    pages = derivative_pages()
    assert list(pages) == [f for f in FAMILIES if any(family(fn) == f for fn in PRIMITIVES.values())]
    for name, fn in PRIMITIVES.items():
        page = pages[family(fn)]
        section = page.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]
        assert "**Derivative:** `" in section and "(missing)" not in section, name
        assert inspect.getsource(fn).strip() in section, name  # the whole function, backward closure included


def test_a_fused_primitive_is_shown_beside_its_reference():
    fused = derivative_pages()["fused"]
    for name in ("scaled_softmax", "batch_norm_train", "softmax_cross_entropy", "lstm_layer", "gru_layer"):
        section = fused.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]
        assert f"def {name}_reference(" in section, name


def _nav_pages():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8").split("\nnav:\n", 1)[1]
    return re.findall(r"([\w./-]+\.(?:md|ipynb))\s*$", nav, re.M)


def test_every_page_in_the_navigation_is_written_or_generated():
    pytest.importorskip("mkdocs")  # the hooks module builds pages with MkDocs' File objects
    hooks = _load_hooks()
    generated = {"derivatives/index.md", "benchmarks.md"} | {f"derivatives/{f}.md" for f in derivative_pages()}
    generated |= {f"api/{name}.md" for name in hooks.API}
    pages = _nav_pages()
    assert len(pages) == len(set(pages)) > 40
    for page in pages:
        assert page in generated or (ROOT / "docs" / page).is_file(), page
    listed = {p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")}
    assert listed <= set(pages)  # no written page left out of the navigation


def _load_hooks():
    import importlib.util

    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "docs" / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_the_site_builds_strictly(tmp_path):
    """``mkdocs build --strict`` without running the notebooks (tests/test_notebooks.py runs them; CI's
    full build runs them again to put their outputs on the pages)."""
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    pytest.importorskip("mkdocs_jupyter")
    env = dict(os.environ, TG_DOCS_EXECUTE="false", NO_MKDOCS_2_WARNING="1")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    for page in ("index.html", "derivatives/fused/index.html", "api/nn/index.html", "benchmarks/index.html",
                 "notebooks/01_autograd_from_scratch/index.html", "concepts/inplace/index.html"):
        assert (tmp_path / "site" / page).is_file(), page
