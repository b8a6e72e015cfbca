"""The interactive explorer: the page it writes (without a browser), then the page in headless Chromium."""

import json
import re
import shutil
import time

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.viz.explorer import INITIAL_VISIBLE, explore


def _embedded(page_text):
    """The DATA object embedded in the page."""
    return json.loads(re.search(r"const DATA = (.*?);</script>", page_text, re.S).group(1))


def _deep_model():
    """20 blocks of Linear + Tanh: 80-odd tensors, more than the initial view shows."""
    tg.manual_seed(0)
    model = nn.Sequential(*[nn.Sequential(nn.Linear(4, 4), nn.Tanh()) for _ in range(20)])
    x = tg.Tensor(np.linspace(-2, 2, 8, dtype=np.float32).reshape(2, 4))
    loss = model(x).sum()
    loss.backward()
    return model, loss


def test_page_is_self_contained_and_embeds_the_graph(tmp_path):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
    x = tg.Tensor([[1.0, -2.0, 0.5]])
    loss = model(x).sum()
    loss.backward()
    path = tmp_path / "g.html"
    page = explore(loss, model, path=str(path))
    text = path.read_text(encoding="utf-8")
    assert text == page.html and page.path == str(path)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text)  # no CDN scripts or styles
    assert "<script src" not in text and "<link" not in text
    data = _embedded(text)
    # x, weight, bias, linear, tanh, sum
    assert len(data["nodes"]) == 6 and data["params"] == ["0.bias", "0.weight"]
    by_name = {n["name"]: n for n in data["nodes"]}
    weight = by_name["0.weight"]
    assert weight["kind"] == "parameter" and weight["shape"] == [2, 3] and weight["dtype"] == "float32"
    np.testing.assert_allclose(weight["stats"]["values"], model[0].weight.numpy().reshape(-1), rtol=1e-3)
    np.testing.assert_allclose(weight["grad"]["values"], model[0].weight.grad.numpy().reshape(-1), rtol=1e-3)
    expected_log = np.log10(np.abs(model[0].weight.grad.numpy()).mean())
    assert weight["gradlog"] == pytest.approx(expected_log, abs=1e-3)
    tanh = by_name["tanh"]
    assert tanh["sat"] == pytest.approx(float((np.abs(np.tanh(model[0](x).numpy())) > 0.97).mean()))
    assert by_name["sum"]["kind"] == "output" and "sat" not in by_name["sum"]
    assert {g["name"] for g in data["groups"]} == {"", "0", "1"}
    assert data["visible"] == 6  # small: everything expanded


def test_statistics_of_a_big_tensor():
    a = tg.Tensor(np.arange(100, dtype=np.float64), requires_grad=True)
    data = explore((a * a).sum(), {"a": a}, path=None).data
    stats = next(n for n in data["nodes"] if n["name"] == "a")["stats"]
    assert stats == {"n": 100, "min": 0.0, "mean": 49.5, "max": 99.0, "std": pytest.approx(28.87, abs=0.01)}


def test_deep_model_starts_collapsed():
    model, loss = _deep_model()
    data = explore(loss, model, path=None).data
    assert len(data["nodes"]) > INITIAL_VISIBLE
    assert 20 <= data["visible"] <= INITIAL_VISIBLE
    assert len(data["expanded"]) < len(data["groups"])  # some groups start collapsed
    groups = {g["name"]: g for g in data["groups"] if not g.get("chunk")}
    assert groups["3"]["cls"] == "Sequential" and groups["3.0"]["cls"] == "Linear"
    assert groups["3.0"]["params"] == 20 and groups["3"]["size"] == 4  # weight, bias, linear, tanh


def test_scopes_name_groups_without_params():
    tg.manual_seed(0)
    block = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
    first, second = nn.Linear(3, 2), nn.Linear(2, 1)
    out = second(block(first(tg.Tensor([[1.0, 2.0, 3.0]]))))
    data = explore(out, path=None).data
    # the outermost modules that recorded ops, named by class (a container that records nothing itself,
    # like the Sequential here, is not seen without params)
    assert [g["name"] for g in data["groups"]] == ["", "Linear", "Linear2", "Tanh", "Linear3"]
    assert data["params"] == [f"Linear{k}.{p}" for k in ("", "2", "3") for p in ("bias", "weight")]


class _Doubler(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 2)

    def forward(self, x):
        return self.lin(x) * 3.0


def test_a_constant_joins_the_module_that_uses_it():
    model = _Doubler()
    data = explore(model(tg.Tensor([[1.0, 2.0]])), model, path=None).data
    names = [g["name"] for g in data["groups"]]
    homes = {n["name"]: names[n["g"]] for n in data["nodes"]}
    assert homes == {"input": "", "lin.weight": "lin", "lin.bias": "lin", "linear": "lin", "constant": "",
                     "mul": ""}
    nested = nn.Sequential(_Doubler())
    data = explore(nested(tg.Tensor([[1.0, 2.0]])), nested, path=None).data
    names = [g["name"] for g in data["groups"]]
    assert {n["name"]: names[n["g"]] for n in data["nodes"]}["constant"] == "0"


def test_repr_html_is_an_iframe():
    a = tg.Tensor([1.0, 2.0], requires_grad=True)
    page = explore(a.sum(), {"a": a}, path=None)
    assert page.path is None
    frame = page._repr_html_()
    assert frame.startswith("<iframe srcdoc=\"") and "&lt;svg id=&quot;view&quot;&gt;" in frame


def test_bad_arguments():
    with pytest.raises(TypeError, match="expected a Tensor"):
        explore([1.0], path=None)
    with pytest.raises(ValueError, match="at least one"):
        explore([], path=None)
    with pytest.raises(TypeError, match="params must be a Module or a dict"):
        explore(tg.Tensor([1.0]), params=[1], path=None)


@pytest.fixture(scope="module")
def chain():
    """A chain of 20,000 multiplications (40,001 tensors) and its input."""
    x = tg.Tensor([1.0], requires_grad=True)
    t = x
    for _ in range(20000):
        t = t * 1.0001
    return t, x


def test_20000_node_chain_is_fast_and_starts_small(tmp_path, chain):
    t, x = chain
    start = time.perf_counter()
    page = explore(t, {"x": x}, path=str(tmp_path / "big.html"))
    elapsed = time.perf_counter() - start
    assert elapsed < 10
    data = page.data
    assert len(data["nodes"]) == 40001  # x, then each step's constant and product
    assert data["visible"] <= INITIAL_VISIBLE
    sizes = [g["size"] for g in data["groups"]]
    assert sizes[0] == 40001 and max(sizes[1:]) <= 2500


# ------------------------------------------------------------------------------------------ in a browser
def _browser(tmp_path):
    webdriver = pytest.importorskip("selenium.webdriver")
    binary = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)),
                  None)
    driver_path = shutil.which("chromedriver")
    if binary is None or driver_path is None:
        pytest.skip("no Chromium / chromedriver binary on PATH (apt-get install chromium chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,800"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(driver_path), options=options)


def _fills(driver):
    return [r.get_attribute("fill") for r in driver.find_elements("css selector", "g.node > rect")]


def test_in_a_browser(tmp_path):
    model, loss = _deep_model()
    path = tmp_path / "deep.html"
    data = explore(loss, model, path=str(path)).data
    driver = _browser(tmp_path)
    try:
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.support.ui import Select

        driver.get(path.as_uri())
        nodes = driver.find_elements("css selector", "g.node")
        assert len(nodes) == data["visible"]
        collapsed = [n for n in nodes if n.get_attribute("data-key").startswith("g")]
        assert collapsed
        collapsed[0].click()
        assert len(driver.find_elements("css selector", "g.node")) > data["visible"]

        op_node = next(n for n in driver.find_elements("css selector", "g.node")
                       if n.get_attribute("data-key").startswith("t") and "tanh" in n.text)
        ActionChains(driver).move_to_element(op_node).perform()
        tip = driver.find_element("id", "tip")
        assert tip.is_displayed()
        assert "op: tanh" in tip.text and "shape 2\u00d74  dtype float32" in tip.text and "value: [" in tip.text
        weight = next(n for n in driver.find_elements("css selector", "g.node") if n.text.startswith("0.0.weight"))
        ActionChains(driver).move_to_element(weight).perform()
        assert "leaf: parameter" in tip.text and "shape 4\u00d74" in tip.text
        assert re.search(r"grad: min -?[0-9.e-]+  mean", tip.text)

        before = _fills(driver)
        Select(driver.find_element("id", "color")).select_by_value("grad")
        after = _fills(driver)
        assert len(after) == len(before) and after != before
        assert "log10 mean|grad|" in driver.find_element("id", "legend").text

        driver.find_element("id", "search").send_keys("17.0.weight")
        assert len(driver.find_elements("css selector", "g.node.match")) == 1

        png = tmp_path / "explorer.png"
        assert driver.save_screenshot(str(png))
    finally:
        driver.quit()
    image = pytest.importorskip("PIL.Image")
    pixels = np.asarray(image.open(png).convert("L"), dtype=np.float64)
    assert pixels.shape[1] >= 1000 and pixels.std() > 10  # not blank


@pytest.mark.slow
def test_20000_node_chain_in_a_browser(tmp_path, chain):
    t, x = chain
    path = tmp_path / "big.html"
    data = explore(t, {"x": x}, path=str(path)).data
    driver = _browser(tmp_path)
    try:
        start = time.perf_counter()
        driver.get(path.as_uri())
        assert time.perf_counter() - start < 10
        assert len(driver.find_elements("css selector", "g.node")) == data["visible"]
        click_first_group = """document.querySelector('g.node[data-key^="g"]').dispatchEvent(new MouseEvent('click'));
            return [document.querySelectorAll('g.node').length, document.getElementById('status').textContent];"""
        shown = data["visible"]
        for _ in range(60):  # expand chunk after chunk until the page refuses (limit 1500 nodes)
            now, status = driver.execute_script(click_first_group)
            if "limit 1500" in status:
                break
            assert now > shown
            shown = now
        assert "limit 1500" in status and "collapse something first" in status
        assert now == shown <= 1500
        driver.find_element("css selector", "text.boxlabel").click()  # collapse the outermost expanded chunk
        assert len(driver.find_elements("css selector", "g.node")) < shown
    finally:
        driver.quit()


def _overlapping_boxes(driver):
    """Pairs of expanded groups' boxes that cross: neither holds the other, yet they share some area."""
    boxes = driver.execute_script("""return Array.from(document.querySelectorAll('rect.box')).map(r =>
        [r.dataset.group, +r.getAttribute('x'), +r.getAttribute('y'),
         +r.getAttribute('x') + +r.getAttribute('width'), +r.getAttribute('y') + +r.getAttribute('height')]);""")
    crossing = []
    for i, (a, ax0, ay0, ax1, ay1) in enumerate(boxes):
        for b, bx0, by0, bx1, by1 in boxes[i + 1:]:
            inside = (ax0 <= bx0 and ay0 <= by0 and bx1 <= ax1 and by1 <= ay1) or \
                     (bx0 <= ax0 and by0 <= ay0 and ax1 <= bx1 and ay1 <= by1)
            if not inside and min(ax1, bx1) - max(ax0, bx0) > 1 and min(ay1, by1) - max(ay0, by0) > 1:
                crossing.append((a, b))
    return crossing


def test_group_boxes_do_not_cross_in_a_browser(tmp_path):
    """Expanded, a Transformer encoder layer's modules (self_attn and its out_proj, norm1, linear1, linear2,
    norm2) and an MLP's layers are drawn in boxes that nest or stand apart, never cutting across one
    another: each group's nodes are laid side by side, and parameters sit above the op that takes them
    even when that op is inside a collapsed group."""
    tg.manual_seed(0)
    layer = nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.0)
    x = tg.Tensor(np.random.default_rng(0).normal(size=(5, 2, 16)).astype(np.float32), requires_grad=True)
    layer(x).sum().backward()
    mlp = tg.models.MLP([2, 8, 8, 8, 2], activation="tanh")
    loss = tg.nn.functional.cross_entropy(mlp(tg.Tensor(np.ones((4, 2), dtype=np.float32))), tg.Tensor([0, 1, 1, 0]))
    loss.backward()
    driver = _browser(tmp_path)
    try:
        for name, (out, params) in {"layer": (layer(x).sum(), layer), "mlp": (loss, mlp)}.items():
            path = tmp_path / f"{name}.html"
            explore(out, params, path=str(path))
            driver.get(path.as_uri())
            assert len(driver.find_elements("css selector", "rect.box")) >= 4, name
            assert _overlapping_boxes(driver) == [], name
    finally:
        driver.quit()
