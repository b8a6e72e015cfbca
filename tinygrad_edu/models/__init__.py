"""Ready-made models composed from tinygrad_edu.nn layers."""

from .char_rnn import CharRNN
from .cnn import CNN
from .mlp import MLP
from .seq2seq import Seq2SeqTransformer, fit_seq2seq, warmup_cosine

__all__ = ["CNN", "CharRNN", "MLP", "Seq2SeqTransformer", "fit_seq2seq", "warmup_cosine"]
