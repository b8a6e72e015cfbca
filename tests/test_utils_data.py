"""torch.utils.data's surface: Dataset, IterableDataset, Subset, ConcatDataset, random_split, the samplers,
default_collate / default_convert and the DataLoader's options and errors, checked against PyTorch where
it is installed."""

import collections
import math
import warnings

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.data.loader import (
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    default_collate,
    default_convert,
    get_worker_info,
    random_split,
)
from tinygrad_edu.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

Point = collections.namedtuple("Point", ["x", "y"])


# ------------------------------------------------------------------------------ comparing with PyTorch
def assert_same(ours, theirs, torch, where="batch"):
    """``ours`` (tinygrad_edu) has the structure, container types, dtypes and values of ``theirs`` (PyTorch)."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, tg.Tensor), f"{where}: {type(ours).__name__} instead of a Tensor"
        expected = theirs.detach().numpy()
        assert ours.numpy().dtype == expected.dtype, f"{where}: dtype {ours.dtype} vs {theirs.dtype}"
        np.testing.assert_array_equal(ours.numpy(), expected, err_msg=where)
        return
    assert type(ours).__name__ == type(theirs).__name__, f"{where}: {type(ours).__name__} vs {type(theirs).__name__}"
    if isinstance(theirs, np.ndarray):
        assert ours.dtype == theirs.dtype, where
        np.testing.assert_array_equal(ours, theirs, err_msg=where)
    elif isinstance(theirs, dict):
        assert list(ours) == list(theirs), where
        for key in theirs:
            assert_same(ours[key], theirs[key], torch, f"{where}[{key!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, torch, f"{where}[{i}]")
    else:
        assert ours == theirs, where


def make_samples(tensor):
    """Ten samples of every kind a learner's __getitem__ returns, built with ``tensor`` (tg.tensor or torch.tensor)."""
    return [{"image": tensor(np.full((2, 3), i, dtype=np.float32)), "label": i % 3, "weight": 0.5 * i,
             "name": f"item{i}", "features": np.arange(i, i + 4, dtype=np.float32), "scale": np.float32(i),
             "flag": i % 2 == 0, "pair": (tensor([i, -i]), 1.5 * i), "point": Point(i, float(i))}
            for i in range(10)]


class Samples(Dataset):
    """A user's map-style dataset: __len__ and __getitem__ over a list, returning a tuple or a dict."""

    def __init__(self, samples, as_tuple):
        self.samples, self.as_tuple = samples, as_tuple

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        s = self.samples[i]
        return (s["image"], s["label"], s["weight"]) if self.as_tuple else s


def both(torch, as_tuple=True):
    return Samples(make_samples(tg.tensor), as_tuple), Samples(make_samples(torch.tensor), as_tuple)


class FixedOrder(Sampler):
    def __init__(self, order):
        self.order = order

    def __iter__(self):
        return iter(self.order)

    def __len__(self):
        return len(self.order)


LOADER_OPTIONS = [
    dict(batch_size=3),
    dict(batch_size=3, drop_last=True),
    dict(batch_size=4, shuffle=False),
    dict(batch_size=1),
    dict(batch_size=None),
    dict(batch_size=4, sampler="fixed"),
    dict(batch_size=None, sampler="fixed"),
    dict(sampler="list"),
    dict(batch_sampler=[[9, 0], [3, 4, 5], [1]]),
    dict(batch_size=3, collate_fn=lambda batch: batch),
]


@pytest.mark.parametrize("as_tuple", [True, False], ids=["tuples", "dicts"])
@pytest.mark.parametrize("options", LOADER_OPTIONS, ids=[str(o) for o in LOADER_OPTIONS])
def test_a_users_dataset_gives_pytorchs_batches(as_tuple, options):
    torch = pytest.importorskip("torch")
    ours, theirs = both(torch, as_tuple)
    samplers = {"fixed": FixedOrder([7, 2, 5, 0, 9, 1, 3]), "list": [4, 0, 8]}
    options = {k: samplers.get(v, v) if k == "sampler" else v for k, v in options.items()}
    a, b = DataLoader(ours, **options), torch.utils.data.DataLoader(theirs, **options)
    batches = list(a)
    expected = list(b)
    assert len(a) == len(b) == len(batches) == len(expected)
    assert_same(batches, expected, torch)


@pytest.mark.parametrize("batch_size, drop_last", [(None, False), (1, False), (3, False), (3, True), (5, True)])
def test_an_iterable_dataset_gives_pytorchs_batches(batch_size, drop_last):
    torch = pytest.importorskip("torch")

    def stream(base):
        class Stream(base):
            def __iter__(self):
                return iter([(np.float64(i), [i, 2 * i]) for i in range(7)])

            def __len__(self):
                return 7
        return Stream()

    a = DataLoader(stream(IterableDataset), batch_size=batch_size, drop_last=drop_last)
    b = torch.utils.data.DataLoader(stream(torch.utils.data.IterableDataset), batch_size=batch_size,
                                    drop_last=drop_last)
    assert len(a) == len(b)
    assert_same(list(a), list(b), torch)


COLLATE_BATCHES = [
    [1, 2, 3], [True, False], [0.5, 2.0], [np.float32(1), np.float32(2)], [np.int32(3), np.int32(4)],
    [np.array(1.5), np.array(2.5)], [np.zeros((2, 2), np.float16), np.ones((2, 2), np.float16)],
    ["a", "b"], [b"x", b"y"], [(1, "a", 2.0), (3, "b", 4.0)], [[1, 2], [3, 4]], [Point(1, 2.0), Point(3, 4.0)],
    [{"a": 1, "b": {"c": 0.5}}, {"a": 2, "b": {"c": 1.5}}],
    [collections.OrderedDict(x=1), collections.OrderedDict(x=2)],
]


@pytest.mark.parametrize("batch", COLLATE_BATCHES, ids=[repr(b)[:40] for b in COLLATE_BATCHES])
def test_default_collate_and_convert_match_pytorch(batch):
    torch = pytest.importorskip("torch")
    assert_same(default_collate(batch), torch.utils.data.default_collate(batch), torch)
    assert_same(default_convert(batch[0]), torch.utils.data.default_convert(batch[0]), torch)


def test_default_collate_stacks_tensors_and_keeps_their_graph():
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    batch = default_collate([x[0] * 2, x[1] * 3])
    assert batch.shape == (2, 2) and batch.tolist() == [[2.0, 4.0], [9.0, 12.0]]
    batch.sum().backward()
    assert x.grad.tolist() == [[2.0, 2.0], [3.0, 3.0]]
    ints = default_collate([tg.tensor([1, 2]), tg.tensor([3, 4])])
    assert ints.dtype == tg.int64 and ints.tolist() == [[1, 2], [3, 4]]


def test_default_convert_shares_arrays_and_keeps_other_values():
    array = np.zeros(3, np.float32)
    converted = default_convert({"x": array, "n": 3, "s": "text"})
    array[0] = 7.0
    assert converted["x"].tolist() == [7.0, 0.0, 0.0] and converted["n"] == 3 and converted["s"] == "text"
    point = default_convert(Point(np.int32(1), 2))
    assert type(point) is Point and point.x.dtype == tg.int32 and point.x.item() == 1 and point.y == 2


@pytest.mark.parametrize("batch, error, match", [
    ([object(), object()], TypeError, "found <class 'object'>"),
    ([np.array(["a"]), np.array(["b"])], TypeError, "found <U1"),
    ([tg.zeros(2), tg.zeros(3)], RuntimeError, r"\(2,\) at entry 0 and \(3,\) at entry 1"),
    ([[1, 2], [1]], RuntimeError, r"sizes \[2, 1\]"),
])
def test_default_collate_errors(batch, error, match):
    with pytest.raises(error, match=match):
        default_collate(batch)


BAD_LOADERS = [
    dict(shuffle=True, sampler=[0, 1]),
    dict(batch_sampler=[[0]], batch_size=2),
    dict(batch_sampler=[[0]], shuffle=True),
    dict(batch_sampler=[[0]], sampler=[0]),
    dict(batch_sampler=[[0]], drop_last=True),
    dict(batch_size=None, drop_last=True),
    dict(batch_size=0),
    dict(batch_size=2.5),
    dict(num_workers=-1),
    dict(timeout=-1),
    dict(prefetch_factor=2),
    dict(persistent_workers=True),
    dict(multiprocessing_context="spawn"),
]


@pytest.mark.parametrize("options", BAD_LOADERS, ids=[str(o) for o in BAD_LOADERS])
def test_bad_options_raise_pytorchs_errors(options):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError) as theirs:
        torch.utils.data.DataLoader(list(range(4)), **options)
    with pytest.raises(type(theirs.value)):
        DataLoader(list(range(4)), **options)


def test_the_errors_learners_meet_name_the_problem():
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(list(range(4)), shuffle=True, sampler=SequentialSampler(range(4)))
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(list(range(4)), batch_size=2, batch_sampler=[[0, 1]])
    with pytest.raises(ValueError, match="got 0"):
        DataLoader(list(range(4)), batch_size=0)

    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(3))

    for options in (dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])):
        with pytest.raises(ValueError, match="IterableDataset: expected unspecified"):
            DataLoader(Stream(), **options)
    with pytest.raises(TypeError, match="tinygrad_edu.Generator"):
        DataLoader(list(range(4)), shuffle=True, generator=np.random.default_rng(0))
    loader = DataLoader(list(range(4)))
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        loader.batch_size = 2
    loader.num_workers = 2  # not one of the fixed attributes, as in PyTorch
    assert loader.num_workers == 2


# ---------------------------------------------------------------------------------------- shuffling
def epoch(loader):
    return [int(v) for batch in loader for v in batch.numpy().reshape(-1)]


def test_shuffle_draws_from_the_given_generator_or_the_seed_or_the_library():
    data = list(range(30))
    with_g = [epoch(DataLoader(data, batch_size=4, shuffle=True, generator=tg.Generator().manual_seed(5)))
              for _ in range(2)]
    assert with_g[0] == with_g[1] != data and sorted(with_g[0]) == data
    seeded = DataLoader(data, batch_size=4, shuffle=True, seed=5)
    assert isinstance(seeded.generator, np.random.Generator)  # what train.fit's checkpoints save
    state = seeded.generator.bit_generator.state
    first = epoch(seeded)
    assert first == with_g[0]  # seed=s shuffles as generator=Generator().manual_seed(s)
    assert epoch(seeded) != first  # a new order every epoch
    seeded.generator.bit_generator.state = state
    assert epoch(seeded) == first  # restoring the state replays the order
    tg.manual_seed(3)
    a = epoch(DataLoader(data, batch_size=4, shuffle=True))
    tg.manual_seed(3)
    assert epoch(DataLoader(data, batch_size=4, shuffle=True)) == a != data
    assert DataLoader(data).generator is None


def test_workers_load_sequentially_with_the_same_batches_and_pin_memory_warns():
    data = TensorDataset(np.arange(10.0), np.arange(10))
    plain = list(DataLoader(data, batch_size=3))
    workers = DataLoader(data, batch_size=3, num_workers=4, persistent_workers=True, prefetch_factor=4,
                         worker_init_fn=lambda worker_id: pytest.fail("there are no worker processes"))
    assert [[t.tolist() for t in b] for b in workers] == [[t.tolist() for t in b] for b in plain]
    assert DataLoader(data, num_workers=2).prefetch_factor == 2 and get_worker_info() is None
    with pytest.warns(UserWarning, match="pin_memory"):
        list(DataLoader(data, batch_size=5, pin_memory=True))


def test_a_tensor_dataset_batches_as_collating_its_samples_would():
    X, y = np.arange(24, dtype=np.float32).reshape(12, 2), np.arange(12) % 3
    ds = TensorDataset(X, y)
    fast = list(DataLoader(ds, batch_size=5, sampler=[3, 1, 4, 1, 5, 9, 2, 6, 11, 0]))
    slow = list(DataLoader(ds, batch_size=5, sampler=[3, 1, 4, 1, 5, 9, 2, 6, 11, 0],
                           collate_fn=lambda samples: default_collate(samples)))
    assert all(isinstance(b, list) for b in fast + slow)
    for a, b in zip(fast, slow):
        for ta, tb in zip(a, b):
            assert ta.dtype == tb.dtype and ta.tolist() == tb.tolist()
    assert fast[0][1].tolist() == [0, 1, 1, 1, 2]


def test_tensor_dataset_matches_pytorch():
    torch = pytest.importorskip("torch")
    X, y = np.arange(14, dtype=np.float32).reshape(7, 2), np.arange(7)
    ours = DataLoader(TensorDataset(tg.tensor(X), tg.tensor(y)), batch_size=3, sampler=[6, 0, 5, 1, 4])
    theirs = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(y)),
                                         batch_size=3, sampler=[6, 0, 5, 1, 4])
    assert_same(list(ours), list(theirs), torch)
    assert_same(TensorDataset(tg.tensor(X))[2], torch.utils.data.TensorDataset(torch.tensor(X))[2], torch)


# -------------------------------------------------------------------------------------------- samplers
def test_sequential_and_batch_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3] and len(SequentialSampler("abcde")) == 5
    assert list(BatchSampler(range(7), 3, False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(range(7), 3, True)) == [[0, 1, 2], [3, 4, 5]]
    assert (len(BatchSampler(range(7), 3, False)), len(BatchSampler(range(7), 3, True))) == (3, 2)
    with pytest.raises(ValueError, match="got True"):
        BatchSampler(range(3), True, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value, got 1"):
        BatchSampler(range(3), 2, 1)
    with pytest.raises(NotImplementedError, match="__iter__"):
        iter(Sampler())


def test_random_sampler_permutations_and_draws():
    g = tg.Generator().manual_seed(0)
    order = list(RandomSampler(range(10), generator=g))
    assert sorted(order) == list(range(10)) and order != list(range(10)) and all(type(i) is int for i in order)
    assert order == list(RandomSampler(range(10), generator=tg.Generator().manual_seed(0)))
    longer = list(RandomSampler(range(4), num_samples=10, generator=g))
    assert len(longer) == 10 and sorted(longer[:4]) == sorted(longer[4:8]) == [0, 1, 2, 3]
    assert len(set(longer[8:])) == 2
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=300, generator=g))
    assert len(drawn) == 300 and set(drawn) == {0, 1, 2} and len(RandomSampler(range(3), True, 300)) == 300
    with pytest.raises(TypeError, match="replacement should be a boolean value"):
        RandomSampler(range(3), replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer, got 0 .the length"):
        RandomSampler([])


def test_subset_and_weighted_samplers():
    g = tg.Generator().manual_seed(1)
    picked = list(SubsetRandomSampler([10, 20, 30, 40], generator=g))
    assert sorted(picked) == [10, 20, 30, 40] and len(SubsetRandomSampler([1, 2])) == 2
    weighted = list(WeightedRandomSampler([0.0, 3.0, 1.0, 0.0], 400, generator=g))
    assert set(weighted) == {1, 2} and 250 < weighted.count(1) < 350  # about 3/4 of the draws
    distinct = list(WeightedRandomSampler([1.0, 1.0, 5.0, 1.0], 4, replacement=False, generator=g))
    assert sorted(distinct) == [0, 1, 2, 3] and len(WeightedRandomSampler([1, 2], 7)) == 7
    with pytest.raises(ValueError, match="weights should be a 1d sequence, got shape \\(2, 2\\)"):
        WeightedRandomSampler([[1, 2], [3, 4]], 2)
    with pytest.raises(ValueError, match="num_samples should be a positive integer, got 0"):
        WeightedRandomSampler([1.0], 0)
    with pytest.raises(RuntimeError, match="without replacement"):
        list(WeightedRandomSampler([1.0, 2.0], 3, replacement=False))


# ---------------------------------------------------------------------------------------- datasets
def test_subset_concat_and_add_match_pytorch():
    torch = pytest.importorskip("torch")
    T = torch.utils.data
    a, b = list("abcde"), list("xyz")
    ours, theirs = ConcatDataset([a, b]), T.ConcatDataset([a, b])
    assert [ours[i] for i in range(-8, 8)] == [theirs[i] for i in range(-8, 8)]
    assert ours.cumulative_sizes == theirs.cumulative_sizes == [5, 8] and len(ours) == 8
    sub, tsub = Subset(a, [4, 0, 2]), T.Subset(a, [4, 0, 2])
    assert [sub[i] for i in range(3)] == [tsub[i] for i in range(3)] and sub.__getitems__([2, 0]) == ["c", "e"]
    both_ = Subset(a, [1, 2]) + Subset(b, [0])
    assert isinstance(both_, ConcatDataset) and [both_[i] for i in range(3)] == ["b", "c", "x"]
    with pytest.raises(ValueError, match="index -9 is out of range for a dataset of length 8"):
        ours[-9]
    with pytest.raises(AssertionError, match="empty"):
        ConcatDataset([])
    with pytest.raises(NotImplementedError, match="Dataset must define __getitem__"):
        Dataset()[0]


def test_chain_dataset_and_iterable_len():
    class Count(IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n))

        def __len__(self):
            return self.n

    chained = Count(2) + Count(3)
    assert isinstance(chained, ChainDataset) and list(chained) == [0, 1, 0, 1, 2] and len(chained) == 5
    assert [b.tolist() for b in DataLoader(chained, batch_size=2)] == [[0, 1], [0, 1], [2]]
    assert len(DataLoader(chained, batch_size=2)) == 3 and len(DataLoader(chained, batch_size=2, drop_last=True)) == 2
    with pytest.raises(AssertionError, match="only supports IterableDataset"):
        list(ChainDataset([[1, 2]]))


@pytest.mark.parametrize("n, lengths", [(10, [0.7, 0.3]), (11, [0.5, 0.25, 0.25]), (7, [3, 4]), (5, [1 / 3] * 3),
                                        (4, [0.1, 0.9])])
def test_random_split_sizes_match_pytorch_and_cover_the_dataset(n, lengths):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = random_split(range(n), lengths, generator=tg.Generator().manual_seed(0))
        theirs = torch.utils.data.random_split(range(n), lengths, generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    assert sorted(i for s in ours for i in s) == list(range(n))


def test_random_split_is_reproducible_and_checks_lengths():
    splits = [[list(s) for s in random_split(range(20), [15, 5], generator=tg.Generator().manual_seed(2))]
              for _ in range(2)]
    assert splits[0] == splits[1] and splits[0][0] != list(range(15))
    tg.manual_seed(4)
    a = [list(s) for s in random_split(range(20), [0.5, 0.5])]
    tg.manual_seed(4)
    assert a == [list(s) for s in random_split(range(20), [0.5, 0.5])]
    with pytest.raises(ValueError, match=r"summing to the length of the dataset \(5\).*\[2, 2\]"):
        random_split(range(5), [2, 2])
    with pytest.warns(UserWarning, match="split at index 0 is empty"):
        random_split(range(3), [0.0, 1.0])
    train, val = random_split(TensorDataset(np.arange(12.0), np.arange(12)), [0.75, 0.25])
    (xb, yb), = DataLoader(val, batch_size=3)
    assert xb.tolist() == [float(i) for i in yb.tolist()] and xb.dtype == tg.float64


def test_batch_size_none_and_len():
    loader = DataLoader([np.float32(1.5), np.float32(2.5)], batch_size=None)
    items = list(loader)
    assert len(loader) == 2 and items[0].shape == () and items[1].item() == 2.5 and items[0].dtype == tg.float32
    assert len(DataLoader(range(10), batch_size=3)) == math.ceil(10 / 3)
    assert len(DataLoader(range(10), batch_size=3, drop_last=True)) == 3
    assert len(DataLoader(range(10), batch_sampler=[[0], [1, 2]])) == 2


def test_utils_data_is_the_same_api():
    from tinygrad_edu.utils.data import DataLoader as UtilsLoader
    from tinygrad_edu.utils.data import Dataset as UtilsDataset

    assert UtilsLoader is DataLoader and UtilsDataset is Dataset
