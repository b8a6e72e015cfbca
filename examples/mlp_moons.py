"""micrograd's moons demo with tinygrad_edu: an MLP with two hidden layers of 16 units learns to separate
two interleaving half-moons (100 points, noise 0.1) and reaches 100% training accuracy.

The training code is ``tinygrad_edu.demo.train_moons`` (data, MLP, cross-entropy, Adam, ``fit``: about
ten lines); this script runs it, shows the loss curve and prints the model, as PyTorch would.

Run:  python examples/mlp_moons.py

Expected output (the last digits may vary with the platform's floating point):
    epoch   1  loss 0.6469
    epoch  10  loss 0.1822
    epoch  25  loss 0.0181
    epoch  50  loss 0.0029
    epoch  75  loss 0.0012
    epoch 100  loss 0.0006
    training accuracy: 100%
    MLP(
      (layers): Sequential(
        (0): Linear(in_features=2, out_features=16, bias=True)
        (1): ReLU()
        (2): Linear(in_features=16, out_features=16, bias=True)
        (3): ReLU()
        (4): Linear(in_features=16, out_features=2, bias=True)
      )
    )
"""

from tinygrad_edu.demo import train_moons

model, history, accuracy = train_moons(epochs=100)
for epoch in (1, 10, 25, 50, 75, 100):
    print(f"epoch {epoch:3d}  loss {history['loss'][epoch - 1]:.4f}")
print(f"training accuracy: {100 * accuracy:.0f}%")
print(model)
