"""Neural-network building blocks: Module and its containers, layers, losses, functional, init, utils."""

from . import functional, init, utils
from .attention import MultiheadAttention
from .conv import AdaptiveAvgPool2d, AvgPool2d, Conv1d, Conv2d, Dropout2d, MaxPool2d
from .layers import *  # noqa: F401,F403
from .layers import __all__ as _layers
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .module import Module, ModuleDict, ModuleList, Parameter, Sequential
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell, detach_state
from .transformer import *  # noqa: F401,F403
from .transformer import __all__ as _transformer

__all__ = ["functional", "init", "utils", "Module", "ModuleDict", "ModuleList", "Parameter", "Sequential",
           "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "L1Loss", "MSELoss", "NLLLoss", *_layers,
           "AdaptiveAvgPool2d", "AvgPool2d", "Conv1d", "Conv2d", "Dropout2d", "MaxPool2d",
           "GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNCell", "detach_state",
           "MultiheadAttention", *_transformer]
