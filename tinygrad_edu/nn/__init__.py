"""Neural-network building blocks: Module and its containers, layers, losses, functional, init, utils."""

from . import functional, init, utils
from .attention import MultiheadAttention
from .conv import (
    AdaptiveAvgPool2d,
    AvgPool2d,
    Conv1d,
    Conv2d,
    ConvTranspose1d,
    ConvTranspose2d,
    Dropout2d,
    MaxPool2d,
    Upsample,
    UpsamplingBilinear2d,
    UpsamplingNearest2d,
)
from .layers import *  # noqa: F401,F403
from .layers import __all__ as _layers
from .loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CosineEmbeddingLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from .module import Module, ModuleDict, ModuleList, Parameter, Sequential
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell, detach_state
from .transformer import *  # noqa: F401,F403
from .transformer import __all__ as _transformer

__all__ = ["functional", "init", "utils", "Module", "ModuleDict", "ModuleList", "Parameter", "Sequential",
           "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "L1Loss", "MSELoss", "NLLLoss", *_layers,
           "CosineEmbeddingLoss", "HuberLoss", "KLDivLoss", "MarginRankingLoss", "SmoothL1Loss",
           "AdaptiveAvgPool2d", "AvgPool2d", "Conv1d", "Conv2d", "Dropout2d", "MaxPool2d",
           "GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNCell", "detach_state",
           "MultiheadAttention", *_transformer]
__all__ += ["ConvTranspose1d", "ConvTranspose2d", "Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d"]
