#!/usr/bin/python3
"""Writes torch_fixture.safetensors: the state dict of a PyTorch network that
mirrors torch_fixture.yaml (nn.Embedding, a 2-layer bidirectional nn.LSTM,
nn.GRU, nn.RNN with ReLU, nn.Linear), with random weights and biases, plus in
its __metadata__ a fixed input, its next-token targets and the mean
cross-entropy PyTorch computes for them. tests/test_interchange.c loads the
file into the rewind model and must get the same loss: that checks the name
map, the gate orders, the summed LSTM/RNN biases and GRU's z convention.
Run once (python3 make_torch_fixture.py); the output is committed. The
safetensors format is written by hand, so only torch is needed."""
import json
import struct

import torch
from torch import nn

V, T, B = 7, 6, 3


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, 4)
        self.rnn = nn.LSTM(4, 5, num_layers=2, bidirectional=True)
        self.g = nn.GRU(10, 3)
        self.e = nn.RNN(3, 3, nonlinearity="relu")
        self.head = nn.Linear(3, V)

    def forward(self, x):  # x: [T, B] token ids
        h, _ = self.rnn(self.emb(x))
        h, _ = self.g(h)
        h, _ = self.e(h)
        return self.head(h)


def save(path, tensors, metadata):
    header, blobs, at = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        raw = t.detach().contiguous().to(torch.float32).numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [at, at + len(raw)]}
        blobs.append(raw)
        at += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main():
    torch.manual_seed(12)
    net = Net()
    with torch.no_grad():  # biases away from zero, so that a dropped or unsummed bias shows in the loss
        for name, p in net.named_parameters():
            p.copy_(torch.empty_like(p).uniform_(-0.8, 0.8))
    x = torch.randint(0, V, (T, B))
    y = torch.randint(0, V, (T, B))
    loss = nn.functional.cross_entropy(net(x).reshape(T * B, V), y.reshape(T * B))
    flat = lambda t: " ".join(str(int(v)) for v in t.reshape(-1))
    save("torch_fixture.safetensors", net.state_dict(),
         {"format": "pt", "inputs": flat(x), "targets": flat(y), "shape": f"{T} {B}", "loss": f"{loss.item():.9g}",
          "torch": torch.__version__})
    print(f"torch_fixture.safetensors: loss {loss.item():.9g}")


if __name__ == "__main__":
    main()
