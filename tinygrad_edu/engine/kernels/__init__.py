"""NumPy-only speed code with no autograd: the window copies under convolution and pooling, and the
loops of the fused recurrent layers. Every derivative is stated and composed in ``engine/ops``; this
folder only makes some of them fast."""
