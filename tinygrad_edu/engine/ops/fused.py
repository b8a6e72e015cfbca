"""Fused primitives, each beside the plain composition of ops it replaces: its reference.

The reference is what the docstrings teach; the fused primitive computes the same numbers in fewer,
larger NumPy passes, and the op table checks the two equal (values, gradients, and second derivatives
where the fused op has them). ``scaled_softmax`` is attention's default. The recurrent layers run
their cell's equations composed of ops by default (:func:`lstm_step`, :func:`gru_step` below); the
fused ``lstm_layer`` / ``gru_layer`` are an explicit opt-in (``nn.LSTM(..., fused=True)``) whose loops
live in ``kernels/recurrent.py`` and whose backward is first-order only.
"""

import numpy as np

from ..kernels import recurrent
from ..tensor import Tensor, _wrap, is_grad_enabled, make_op
from .base import primitive
from .elementwise import where
from .matmul import linear
from .movement import cat, stack
from .reduce import log_softmax

# ------------------------------------------------------------------- attention's scaled softmax


@primitive
def scaled_softmax(scores, scale, mask):
    """weights = softmax(scores * scale + mask) along the last dimension, as one primitive.

    Derivative: dL/dscores = scale * w * (g - sum_j g_j w_j), per row;  dL/dmask = w * (g - sum_j g_j w_j).

    The reference is :func:`scaled_softmax_reference`; fused because attention runs it on every
    (query, key) pair, and one pass replaces six ops (mul, add, then softmax's sub, exp, sum, div).
    ``mask`` is a float array (a constant) or a float Tensor (then a parent, with its gradient); a row that
    is -inf everywhere gets weights 0 (and so gradient 0) instead of the reference's NaN."""
    parents = (scores,) if not isinstance(mask, Tensor) else (scores, mask)
    mask = mask._data if isinstance(mask, Tensor) else mask
    z = scores._data * scale
    dead = None
    if mask is not None:
        dead = np.isneginf(mask).all(axis=-1, keepdims=True)
        if dead.any():  # give such rows finite scores here, and zero their weights below
            mask = np.where(dead, 0.0, mask)
        else:
            dead = None
        z = z + mask.astype(z.dtype, copy=False)  # not +=: a mask with more leading dimensions broadcasts z up
    z -= z.max(axis=-1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=-1, keepdims=True)
    if dead is not None:
        z *= ~dead

    def backward(g, out):
        dz = (g - (g * out).sum(-1, keepdim=True)) * out
        return (dz * scale,) if len(out.parents) == 1 else (dz * scale, dz)

    return make_op("scaled_softmax", z, parents, backward, saved=("output",))


def scaled_softmax_reference(scores, scale, mask):
    """softmax(scores * scale + mask) along the last dimension, composed of ops."""
    z = scores * scale
    return (z if mask is None else z + (mask if isinstance(mask, Tensor) else _wrap(mask))).softmax(-1)


# ------------------------------------------------ the recurrent cells' equations (compositions)
# Each step maps (xw, state) to the next state, a tuple whose first entry is the output h. xw has the
# gates side by side in PyTorch's order along the last dimension; slices of it are views, not copies.
def rnn_tanh_step(xw, state, w_hh, b_hh):
    """h' = tanh(xw + h W_hh^T + b_hh)."""
    return ((xw + linear(state[0], w_hh, b_hh)).tanh(),)


def rnn_relu_step(xw, state, w_hh, b_hh):
    """h' = relu(xw + h W_hh^T + b_hh)."""
    return ((xw + linear(state[0], w_hh, b_hh)).relu(),)


def lstm_step(xw, state, w_hh, b_hh):
    """Gates [i, f, g, o] = xw + h W_hh^T + b_hh; i, f, o through sigmoid, g through tanh;
    c' = f * c + i * g,  h' = o * tanh(c')."""
    h, c = state
    n = h.shape[-1]
    gates = xw + linear(h, w_hh, b_hh)
    sig = gates.sigmoid()  # one op for all four blocks is cheaper than three ops on three slices
    c = sig[..., n:2 * n] * c + sig[..., :n] * gates[..., 2 * n:3 * n].tanh()
    return sig[..., 3 * n:] * c.tanh(), c


def gru_step(xw, state, w_hh, b_hh):
    """[r, z] = sigmoid(xw_rz + (h W_hh^T + b_hh)_rz),  n = tanh(xw_n + r * (h W_hn^T + b_hn)),
    h' = (1 - z) * n + z * h, computed as n + z * (h - n) (one op fewer)."""
    (h,) = state
    n = h.shape[-1]
    hw = linear(h, w_hh, b_hh)
    rz = (xw[..., :2 * n] + hw[..., :2 * n]).sigmoid()
    new = (xw[..., 2 * n:] + rz[..., :n] * hw[..., 2 * n:]).tanh()
    return (new + rz[..., n:] * (h - new),)


# -------------------------------------------------------------- fused recurrent layers (opt-in)
def _first_order_only(name):
    if is_grad_enabled():  # backward(create_graph=True) is asking for a differentiable gradient
        raise RuntimeError(f"{name}: the fused layer has no second derivative; use the default fused=False "
                           "layer (its cells composed of ops) for higher-order gradients")


_OIFG, _IFGO = [3, 0, 1, 2], [1, 2, 3, 0]  # PyTorch's gate blocks (i, f, g, o) to the kernel's (o, i, f, g), and back


def _gate_blocks(a, order):
    """``a`` (..., 4H) with its four gate blocks along the last dimension put in ``order`` (a copy)."""
    return a.reshape(*a.shape[:-1], 4, -1)[..., order, :].reshape(a.shape)


@primitive
def lstm_layer(xw, h0, c0, w_hh, reverse):
    """One LSTM layer over a sequence as a single primitive: :func:`lstm_layer_reference` (the cell in a
    loop) with the loops in NumPy (``kernels/recurrent.py``). xw (T, N, 4H) is the input projection with
    both biases, x W_ih^T + b_ih + b_hh, gates in PyTorch's order (i, f, g, o); h0, c0 (N, H); w_hh (4H, H);
    ``reverse`` runs t = T-1..0. Returns (T + 1, N, H): the hidden states h_t in time order, then c_T.
    Derivative, with gates i, f, g, o after their nonlinearities and dh, dc the gradients reaching h_t, c_t:
        dc = dc_next f_next + dh o (1 - tanh(c_t)^2);
        da = [dc g i (1 - i), dc c_prev f (1 - f), dc i (1 - g^2), dh tanh(c_t) o (1 - o)]   (pre-activations);
        dh_prev = (gradient of the output h_prev) + da W_hh,   dW_hh = sum_t da^T h_prev,   dxw = da.
    First-order only."""
    w = np.ascontiguousarray(_gate_blocks(w_hh._data.T, _OIFG).T)  # the rows' gate blocks reordered
    out, saved = recurrent.lstm_forward(_gate_blocks(xw._data, _OIFG), h0._data, c0._data, w, reverse)

    def backward(grad, _):
        _first_order_only("lstm_layer")
        da, dh0, dc0, dw = recurrent.lstm_backward(grad._data, out, saved, h0._data, c0._data, w, reverse)
        dw = np.ascontiguousarray(_gate_blocks(dw.T, _IFGO).T)
        return _wrap(_gate_blocks(da, _IFGO)), _wrap(dh0), _wrap(dc0), _wrap(dw)

    return make_op("lstm_layer", out, (xw, h0, c0, w_hh), backward)


def lstm_layer_reference(xw, h0, c0, w_hh, reverse):
    """:func:`lstm_layer` as the cell in a loop: :func:`lstm_step` at every time step (no b_hh: xw has it)."""
    state, hs = (h0, c0), []
    for t in range(xw.shape[0] - 1, -1, -1) if reverse else range(xw.shape[0]):
        state = lstm_step(xw[t], state, w_hh, None)
        hs.append(state[0])
    return cat([stack(hs[::-1] if reverse else hs), state[1].unsqueeze(0)])


@primitive
def gru_layer(xw, h0, w_hh, b_hh, reverse):
    """One GRU layer over a sequence as a single primitive: :func:`gru_layer_reference` (the cell in a
    loop) with the loops in NumPy. xw (T, N, 3H) is the input projection x W_ih^T + b_ih, gates (r, z, n);
    h0 (N, H); w_hh (3H, H); b_hh (3H,) or None. Returns the hidden states (T, N, H) in time order.
    Derivative, with hw = h_prev W_hh^T + b_hh, gates r, z, candidate n and a_n = xw_n + r hw_n:
        da_n = dh (1 - z) (1 - n^2),  da_r = da_n hw_n r (1 - r),  da_z = dh (h_prev - n) z (1 - z);
        dxw = [da_r, da_z, da_n],  dhw = [da_r, da_z, da_n r];
        dh_prev = (gradient of the output h_prev) + dh z + dhw W_hh,  dW_hh = sum_t dhw^T h_prev,
        db_hh = sum_t dhw.
    First-order only."""
    b = None if b_hh is None else b_hh._data
    hs, saved = recurrent.gru_forward(xw._data, h0._data, w_hh._data, b, reverse)

    def backward(grad, _):
        _first_order_only("gru_layer")
        dxw, dh0, dw, db = recurrent.gru_backward(grad._data, hs, saved, xw._data, h0._data, w_hh._data, reverse)
        return (_wrap(dxw), _wrap(dh0), _wrap(dw)) + ((_wrap(db),) if b_hh is not None else ())

    return make_op("gru_layer", hs, (xw, h0, w_hh) + ((b_hh,) if b_hh is not None else ()), backward)


def gru_layer_reference(xw, h0, w_hh, b_hh, reverse):
    """:func:`gru_layer` as the cell in a loop: :func:`gru_step` at every time step."""
    state, hs = (h0,), []
    for t in range(xw.shape[0] - 1, -1, -1) if reverse else range(xw.shape[0]):
        state = gru_step(xw[t], state, w_hh, b_hh)
        hs.append(state[0])
    return stack(hs[::-1] if reverse else hs)


# --------------------------------------------------------------- batch normalization (training)
# The two fused ops below write their backward formula once, with the operators NumPy arrays and Tensors
# share. A plain backward runs it on the arrays the forward kept (no graph to record, no per-op cost); a
# recorded one (create_graph=True: grad mode is on inside it) runs it on Tensors recomputed from the
# parents, so the gradient is a differentiable function of the inputs and can be differentiated again.
def _batch_norm_dims(x):
    """The dimensions batch norm reduces over (all but the channels, dim 1) and the shape that lines a
    (C,) vector up with the channels: (0,), (1, C) for (N, C); (0, 2, 3), (1, C, 1, 1) for (N, C, H, W)."""
    return (0,) + tuple(range(2, x.ndim)), (1, x.shape[1]) + (1,) * (x.ndim - 2)


@primitive
def batch_norm_train(x, weight, bias, eps):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, each channel (dim 1) normalized with its batch
    statistics over all other dimensions (var the biased variance), as one primitive.

    Returns (y, mean, var): the output Tensor and the batch mean and biased variance of each channel as
    NumPy arrays (C,), for the caller's running statistics. x is (N, C), (N, C, L) or (N, C, H, W);
    weight and bias are (C,) Tensors or None. A float16 x is normalized in float32 and y cast back.
    The reference is :func:`batch_norm_train_reference`; fused because a training step runs it on every
    batch, and one pass replaces the reference's eleven small ops (two means, sub, mul, add, sqrt,
    div, two reshapes, mul, add) and their backwards.

    Derivative, with n values per channel, s = sqrt(var + eps), xhat = (x - mean) / s and sums over all
    dimensions but the channels: dL/dx = weight / s * (g - sum(g) / n - xhat * sum(g xhat) / n);
    dL/dweight = sum(g xhat);  dL/dbias = sum(g)."""
    dims, per_channel = _batch_norm_dims(x)
    half = x._data.dtype == np.float16
    a = x._data.astype(np.float32) if half else x._data
    n = a.size // a.shape[1]
    mean = a.sum(axis=dims, keepdims=True) / n  # what a.mean computes, without its Python-level overhead
    centered = a - mean
    var = (centered * centered).sum(axis=dims, keepdims=True) / n
    std = np.sqrt(var + eps)
    xhat = centered / std
    y = xhat if weight is None else xhat * weight._data.reshape(per_channel)
    if bias is not None:
        y = y + bias._data.reshape(per_channel)  # not +=: without a weight, y is xhat, which backward keeps

    def backward(g, out):
        if is_grad_enabled():
            xf = x.astype(np.float32) if half else x
            c = xf - xf.mean(dims, keepdim=True)
            s = ((c * c).mean(dims, keepdim=True) + eps).sqrt()
            xh, w = c / s, weight
        else:
            g, xh, s, w = g._data, xhat, std, None if weight is None else weight._data
        g = g.astype(np.float32) if half else g
        dx, dw, db = _batch_norm_grads(g, xh, s, None if w is None else w.reshape(per_channel), dims, n)
        return (dx,) + ((dw,) if weight is not None else ()) + ((db,) if bias is not None else ())

    parents = (x,) + tuple(p for p in (weight, bias) if p is not None)
    out = make_op("batch_norm_train", y.astype(np.float16) if half else y, parents, backward, saved=(x, weight))
    return out, mean.reshape(-1), var.reshape(-1)


def _batch_norm_grads(g, xhat, std, weight, dims, n):
    """batch_norm_train's (dL/dx, dL/dweight, dL/dbias) from the upstream g, xhat, std = sqrt(var + eps) and
    the weight lined up with the channels (or None), all NumPy arrays or all Tensors."""
    g_xhat, g_sum = (g * xhat).sum(axis=dims, keepdims=True), g.sum(axis=dims, keepdims=True)
    scale = 1 / std if weight is None else weight / std
    return (g - g_sum / n - xhat * (g_xhat / n)) * scale, g_xhat.reshape(-1), g_sum.reshape(-1)


def batch_norm_train_reference(x, weight, bias, eps):
    """:func:`batch_norm_train` composed of ops (what ``nn.functional.batch_norm`` computes when training)."""
    dims, per_channel = _batch_norm_dims(x)
    half = x.dtype == np.float16
    xf = x.astype(np.float32) if half else x
    mean = xf.mean(dims, keepdim=True)
    centered = xf - mean
    var = (centered * centered).mean(dims, keepdim=True)
    y = centered / (var + eps).sqrt()
    if weight is not None:
        y = y * weight.reshape(per_channel)
    if bias is not None:
        y = y + bias.reshape(per_channel)
    return y.astype(np.float16) if half else y, mean.numpy().reshape(-1), var.numpy().reshape(-1)


# ------------------------------------------------------------ cross-entropy with class indices
def _class_weights(name, weight, kept, safe, dtype):
    """w[y_i] for each flattened target (0 where ignored); ``weight`` is a (C,) Tensor, array or None (all
    ones). A weight that requires grad is refused: it is a constant here."""
    if weight is None:
        return kept.astype(dtype)
    if isinstance(weight, Tensor):
        if weight.requires_grad and is_grad_enabled():
            raise RuntimeError(f"{name}: the class weight is a constant here and gets no gradient, but it requires "
                               "grad; detach it, or use the composition nn.functional.cross_entropy composes")
        weight = weight._data
    return np.where(kept, np.asarray(weight, dtype=dtype)[safe], 0).astype(dtype, copy=False)


def _in_layout(rows, moved, cd):
    """An (M, C) or (M, 1) array of per-sample rows back in the logits' layout (classes on dim ``cd``), given
    ``moved``, the logits with their classes moved last."""
    rows = rows.reshape(moved.shape[:-1] + rows.shape[-1:])
    return rows if cd == rows.ndim - 1 else np.moveaxis(rows, -1, cd)  # (N, C): already in place


@primitive
def softmax_cross_entropy(logits, target, weight=None, ignore_index=-100, reduction="mean"):
    """Cross-entropy of logits and class indices, -w[y_i] * log softmax(logits)[i, y_i], as one primitive.

    logits are (C,), (N, C) or (N, C, d1, ...) (classes on dim 1); target holds the integer class index of
    each sample, shape (), (N,) or (N, d1, ...), already checked to be in range or ``ignore_index``
    (``nn.functional.cross_entropy`` checks it). ``weight`` (C,) is a constant (default ones). A target
    equal to ``ignore_index`` contributes 0. ``reduction``: 'none' keeps the per-sample losses, 'sum'
    adds them up, 'mean' divides that sum by sum_i w[y_i] over the targets that are not ignored.
    The reference is :func:`softmax_cross_entropy_reference`; fused because a classifier runs it on every
    batch, and one pass replaces log_softmax's five ops, the gather and the reduction.

    Derivative: dL/dlogits[i, c] = g_i * k_i * (softmax(logits)[i, c] - [c = y_i]), with k_i = w[y_i]
    (0 for an ignored target), divided by sum_i w[y_i] for 'mean'; g_i = g for 'sum' and 'mean'. When every
    target is ignored, 'mean' gives NaN and gradient 0, as PyTorch (the composition's gradient is NaN)."""
    cd = 0 if logits.ndim == 1 else 1
    t = target._data if isinstance(target, Tensor) else np.asarray(target)
    half = logits._data.dtype == np.float16
    z = logits._data.astype(np.float32) if half else logits._data
    moved = z if cd == z.ndim - 1 else np.moveaxis(z, cd, -1)  # classes last: one row of C logits per sample
    rows = moved.reshape(-1, moved.shape[-1])
    shifted = rows - rows.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    kept = t.reshape(-1) != ignore_index
    samples, safe = np.arange(len(kept)), np.where(kept, t.reshape(-1), 0)  # an ignored target weighs 0
    w_y = _class_weights("softmax_cross_entropy", weight, kept, safe, z.dtype)
    loss = (-log_p[samples, safe] * w_y).reshape(t.shape)
    coef = w_y  # each sample's factor k_i in the gradient
    if reduction != "none":
        loss = loss.sum()
    if reduction == "mean":
        total = w_y.sum()
        if total != 0:
            loss, coef = loss / total, w_y / total
        else:  # every target ignored: the loss is 0 / 0 = NaN and its gradient 0 (w_y is all 0), as in PyTorch
            loss = np.full_like(loss, np.nan)

    def backward(g, out):
        one_hot = np.zeros_like(log_p)
        one_hot[samples, safe] = 1
        if is_grad_enabled():
            probs = (logits.astype(np.float32) if half else logits).softmax(cd)
        else:
            probs, g = _in_layout(np.exp(log_p), moved, cd), g._data
        per_sample = _in_layout(coef[:, None], moved, cd)
        g = g.reshape(per_sample.shape) if reduction == "none" else g
        return ((probs - _in_layout(one_hot, moved, cd)) * (g * per_sample),)

    result = loss.astype(np.float16) if half else loss
    return make_op("softmax_cross_entropy", result, (logits,), backward, saved=(logits,))


def softmax_cross_entropy_reference(logits, target, weight=None, ignore_index=-100, reduction="mean"):
    """:func:`softmax_cross_entropy` composed of ops, as ``nn.functional.cross_entropy`` computes it:
    log_softmax, the target classes gathered, weighted, and reduced."""
    cd = 0 if logits.ndim == 1 else 1
    t = target.numpy() if isinstance(target, Tensor) else np.asarray(target)
    kept = t != ignore_index
    safe = np.where(kept, t, 0)
    log_p = log_softmax(logits.astype(np.float32) if logits.dtype == np.float16 else logits, dim=cd)
    picked = log_p.gather(cd, np.expand_dims(safe, cd)).squeeze(cd)
    if weight is None:
        w = Tensor(kept.astype(log_p.dtype))
    else:
        w = where(kept, (weight if isinstance(weight, Tensor) else Tensor(weight))[safe], 0.0)
    loss = -(picked * w)
    if reduction == "sum":
        loss = loss.sum()
    elif reduction == "mean":
        loss = loss.sum() / w.sum()
    return loss.astype(np.float16) if logits.dtype == np.float16 else loss
