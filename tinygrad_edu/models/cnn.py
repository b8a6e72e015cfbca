"""A small LeNet-style convolutional network for one-channel images such as the 8x8 digits or 28x28 MNIST."""

from ..nn import Dropout, Flatten, Linear, Module, ReLU, Sequential
from ..nn.conv import Conv2d, MaxPool2d


class CNN(Module):
    """``features``: for each entry ``c`` of ``channels``, Conv2d(3x3, padding=1) -> ReLU -> MaxPool2d(2);
    ``classifier``: Flatten -> [Linear(hidden) -> ReLU -> [Dropout]] -> Linear(num_classes), giving logits.

    The 3x3 convolutions with padding 1 keep the image size; each pool halves it (rounding down), so with the
    default two stages a 28x28 MNIST image ends as 32 maps of 7x7 and an 8x8 digit as 32 maps of 2x2::

        (N, 1, 28, 28) -conv-> (N, 16, 28, 28) -pool-> (N, 16, 14, 14) -conv-> (N, 32, 14, 14)
                       -pool-> (N, 32, 7, 7) -flatten-> (N, 1568) -linear-> (N, 10)

    ``image_size`` is an int (square images) or ``(height, width)``; it only sizes the first Linear layer.

    >>> import numpy as np
    >>> from tinygrad_edu import Tensor
    >>> model = CNN(image_size=8)
    >>> model(Tensor(np.zeros((5, 1, 8, 8), dtype=np.float32))).shape
    (5, 10)
    """

    def __init__(self, in_channels=1, num_classes=10, image_size=28, channels=(16, 32), hidden=None, dropout=0.0):
        super().__init__()
        channels = list(channels)
        height, width = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
        for name, value in [("in_channels", in_channels), ("num_classes", num_classes), ("image height", height),
                            ("image width", width), *(("channels entry", c) for c in channels)]:
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"CNN: {name} must be a positive int, got {value!r}")
        if hidden is not None and (not isinstance(hidden, int) or hidden < 1):
            raise ValueError(f"CNN: hidden must be None or a positive int, got {hidden!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"CNN: dropout must be in [0, 1), got {dropout}")
        if min(height, width) < 2 ** len(channels):
            raise ValueError(f"CNN: a {height}x{width} image is too small for {len(channels)} pooling stages, "
                             f"each of which halves it; use fewer channels entries or larger images")

        layers, c_in = [], in_channels
        for c_out in channels:
            layers += [Conv2d(c_in, c_out, 3, padding=1), ReLU(), MaxPool2d(2)]
            c_in, height, width = c_out, height // 2, width // 2
        self.features = Sequential(*layers)

        head, n_in = [Flatten()], c_in * height * width
        if hidden is not None:
            head += [Linear(n_in, hidden), ReLU()] + ([Dropout(dropout)] if dropout else [])
            n_in = hidden
        self.classifier = Sequential(*head, Linear(n_in, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))
