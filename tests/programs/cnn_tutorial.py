"""The classifier tutorial's loop: a device chosen at run time, a small CNN, SGD with momentum, running
loss, and an evaluation under no_grad with torch.max over the outputs. Prints the loss of each step."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset

device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


rng = np.random.default_rng(0)
images = torch.from_numpy(rng.standard_normal((64, 3, 32, 32)).astype(np.float32))
labels = torch.from_numpy(rng.integers(0, 10, 64))
trainloader = DataLoader(TensorDataset(images, labels), batch_size=16, shuffle=False)

net = Net()
with torch.no_grad():  # the same start on any library
    for name, p in net.named_parameters():
        p.copy_(torch.from_numpy((rng.standard_normal(tuple(p.shape)) * 0.05).astype(np.float32)))
net.to(device)
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

for epoch in range(2):
    running_loss = 0.0
    for i, data in enumerate(trainloader, 0):
        inputs, targets = data[0].to(device), data[1].to(device)
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        print(f"step {epoch * len(trainloader) + i} loss {loss.item():.6f}")
    print(f"[{epoch + 1}] running loss: {running_loss / len(trainloader):.3f}")

correct = total = 0
with torch.no_grad():
    for images_batch, labels_batch in trainloader:
        outputs = net(images_batch.to(device))
        _, predicted = torch.max(outputs.data, 1)
        total += labels_batch.size(0)
        correct += (predicted == labels_batch.to(device)).sum().item()
print(f"accuracy on the training images: {100 * correct // total} %")
