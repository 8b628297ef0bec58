#!/usr/bin/env python3
"""PyTorch reference for generation speed: batch-1 sampling from a character LSTM, eagerly.

Model (the Quickstart model's shape): nn.Embedding(V, E) -> nn.LSTM(E, H, L) -> nn.Linear(H, V).
Weights are random (speed does not depend on them). Each step feeds one token, takes the
logits, divides by the temperature and draws the next token with torch.multinomial, one
token at a time, under torch.no_grad() -- what a user writes to sample from nn.LSTM.

Output (stdout): one JSON line with chars_per_sec (timed after --warmup untimed chars).

Example (Debian's python3-torch, so /usr/bin/python3):
  BLIS_ARCH_TYPE=0 /usr/bin/python3 torch_generate.py --hidden 256 --layers 1 --length 20000
"""
import argparse, json, os, time  # noqa: E401  (torch is imported below, on purpose)

p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
p.add_argument("--vocab", type=int, default=114, help="vocabulary size V")
p.add_argument("--emb", type=int, default=32, help="embedding size E")
p.add_argument("--hidden", type=int, default=256, help="hidden size H")
p.add_argument("--layers", type=int, default=1, help="stacked LSTM layers L")
p.add_argument("--length", type=int, default=20000, help="timed characters")
p.add_argument("--warmup", type=int, default=200, help="untimed characters first")
p.add_argument("--temperature", type=float, default=0.8)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--seed", type=int, default=1)
p.add_argument("--beam", type=int, default=0, help="K > 0: beam search with K beams (output tokens/s) instead of sampling")
args = p.parse_args()
# The thread count must reach the BLAS before it loads (see torch_rnn.py).
for var in ("OMP_NUM_THREADS", "BLIS_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)
import torch  # noqa: E402

torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)
emb = torch.nn.Embedding(args.vocab, args.emb)
lstm = torch.nn.LSTM(args.emb, args.hidden, args.layers)
head = torch.nn.Linear(args.hidden, args.vocab)


def generate(n, token, state):
    for _ in range(n):
        x = emb(token.view(1, 1))
        y, state = lstm(x, state)
        logits = head(y[0, 0]) / args.temperature
        token = torch.multinomial(torch.softmax(logits, -1), 1)
    return token, state


def beam_search(n, k):
    """n steps of beam search, K beams as one batch: keep the K best extensions, reorder the state."""
    tokens = torch.zeros(1, dtype=torch.long)
    scores = torch.zeros(1)
    state = None
    for _ in range(n):
        y, state = lstm(emb(tokens.view(1, -1)), state)
        logp = torch.log_softmax(head(y[0]), -1) + scores[:, None]
        scores, idx = logp.view(-1).topk(k)
        parent, tokens = idx // args.vocab, idx % args.vocab
        state = tuple(s.index_select(1, parent) for s in state)


with torch.no_grad():
    if args.beam > 0:
        beam_search(args.warmup, args.beam)
        t0 = time.perf_counter()
        beam_search(args.length, args.beam)
        secs = time.perf_counter() - t0
    else:
        token = torch.zeros(1, dtype=torch.long)
        token, state = generate(args.warmup, token, None)
        t0 = time.perf_counter()
        generate(args.length, token, state)
        secs = time.perf_counter() - t0
print(json.dumps({"framework": "pytorch", "vocab": args.vocab, "emb": args.emb, "hidden": args.hidden,
                  "layers": args.layers, "length": args.length, "beam": args.beam, "threads": args.threads,
                  "seconds": round(secs, 3), "chars_per_sec": round(args.length / secs, 1),
                  "torch": torch.__version__, "blis_arch_type": os.environ.get("BLIS_ARCH_TYPE", "")}))
