"""Saved files get the permissions ``open()`` would give them, 0o666 less the user's umask.

The library writes files atomically: a temporary file in the target's directory, renamed over the target.
Made with ``tempfile.mkstemp``, that file would have mode 0o600 whatever the umask, and every save would be
private (unreadable by the user's group even where the umask allows it); a fixed chmod to 0o644 would in
turn make it readable by all where the user asked for private files. Each test sets the process umask
itself and puts the old one back.
"""

import os
import shutil
import stat

import pytest

import tinygrad_edu as tg
from tinygrad_edu.data import DataLoader, TensorDataset
from tinygrad_edu.nn import CrossEntropyLoss, Linear
from tinygrad_edu.optim import SGD
from tinygrad_edu.train import fit, load_checkpoint, save_checkpoint

# (umask, the mode open() gives a new file under it)
UMASKS = [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)]


@pytest.fixture(params=UMASKS, ids=lambda p: f"umask {p[0]:03o}")
def umask(request):
    """Run the test under a umask; the value is (umask, expected mode of a new file)."""
    mask, expected = request.param
    old = os.umask(mask)
    try:
        yield mask, expected
    finally:
        os.umask(old)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_expected_mode_is_what_open_gives(umask, tmp_path):
    """The reference the other tests compare with: a file made by plain ``open()``."""
    with open(tmp_path / "plain.txt", "w") as f:
        f.write("x")
    assert mode(tmp_path / "plain.txt") == umask[1]


def test_tg_save_gives_the_umask_mode(umask, tmp_path):
    path = tmp_path / "w.pt"
    tg.save({"w": tg.ones(2, 3)}, path)
    assert mode(path) == umask[1]
    assert os.listdir(tmp_path) == ["w.pt"]  # the temporary file was renamed, not copied
    assert tg.load(path)["w"].shape == (2, 3)


def test_tg_save_over_an_existing_file_gives_the_umask_mode(umask, tmp_path):
    path = tmp_path / "w.pt"
    tg.save([1], path)
    tg.save([2], path)  # the second save renames a new file over the first one
    assert mode(path) == umask[1] and tg.load(path) == [2]


@pytest.mark.parametrize("name", ["m.npz", "m.safetensors"])
def test_save_checkpoint_gives_the_umask_mode(umask, tmp_path, name):
    if name.endswith(".safetensors"):
        pytest.importorskip("safetensors")
    path = tmp_path / name
    save_checkpoint(path, Linear(3, 2), step=7)
    assert mode(path) == umask[1]
    assert os.listdir(tmp_path) == [name]
    assert load_checkpoint(path, Linear(3, 2)) == {"step": 7}


def test_fit_checkpoint_gives_the_umask_mode(umask, tmp_path):
    tg.manual_seed(0)
    x, y = tg.randn(8, 3), tg.Tensor([0, 1, 0, 1, 0, 1, 0, 1])
    model = Linear(3, 2)
    path = tmp_path / "run.npz"
    fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), DataLoader(TensorDataset(x, y), batch_size=4),
        epochs=2, checkpoint=path, progress=False)
    assert mode(path) == umask[1]
    assert os.listdir(tmp_path) == ["run.npz"]
    assert load_checkpoint(path, Linear(3, 2))["epoch"] == 2


def test_a_failed_save_leaves_no_file_and_keeps_the_umask(tmp_path):
    """The temporary file is removed when the write fails, and the process umask is left as it was."""
    old = os.umask(0o027)
    try:
        with pytest.raises(TypeError):
            tg.save({"bad": object()}, tmp_path / "x.pt")
        with pytest.raises(TypeError):
            save_checkpoint(tmp_path / "x.npz", Linear(2, 2), bad=object())
        tg.save([1], tmp_path / "ok.pt")
        assert os.umask(0o027) == 0o027  # os.umask returns the previous value: nothing changed it
    finally:
        os.umask(old)
    assert os.listdir(tmp_path) == ["ok.pt"] and mode(tmp_path / "ok.pt") == 0o640


def test_save_graph_outputs_get_the_umask_mode(umask, tmp_path):
    """Graphviz's ``dot`` writes the picture itself (so it gets the umask mode); the DOT source is written
    with ``open()``; the temporary ``.gv`` file used for rendering is removed."""
    from tinygrad_edu.viz import save_graph

    a = tg.Tensor(2.0, requires_grad=True)
    loss = (a * a).tanh()
    save_graph(loss, tmp_path / "g.dot")
    assert mode(tmp_path / "g.dot") == umask[1]
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed: cannot render an SVG (apt-get install graphviz)")
    save_graph(loss, tmp_path / "g.svg")
    assert mode(tmp_path / "g.svg") == umask[1]
    assert sorted(os.listdir(tmp_path)) == ["g.dot", "g.svg"]


def test_char_rnn_description_is_written_whole_with_open_s_permissions(tmp_path):
    """CharRNN.save's JSON description, written through the same atomic write as the weights, gets the
    permissions open() would give it, and no temporary file is left beside it."""
    from tinygrad_edu.models import CharRNN

    old = os.umask(0o027)
    try:
        model = CharRNN(vocab_size=5, embed_dim=4, hidden_size=8)
        model.save(str(tmp_path / "m.npz"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "m.npz.json").st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz", "m.npz.json"]
