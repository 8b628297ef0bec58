#!/bin/sh
# rewind export / import: a trained checkpoint exported (rewind's names and
# PyTorch's) and imported back, from the model file and from the checkpoint,
# gives a checkpoint whose export is byte-identical and whose eval is the
# same; a PyTorch file read without --torch and missing options are refused.
# usage: interchange_cli.sh REWIND
set -eu
rewind=$1
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cd "$d"
i=0
while [ $i -lt 200 ]; do printf 'the cat sat on a mat; a dog ran. '; i=$((i + 1)); done >corpus.txt
cat >tiny.yaml <<'YAML'
format: rewind/1
name: tiny
data: {kind: chars, train: corpus.txt, valid_fraction: 0.1}
model:
  layers:
    - embedding: {name: emb, size: 6}
    - lstm: {name: rnn, size: 8, bidirectional: true}
    - gru: {name: g, size: 6, reset_after: true}
    - linear: {name: head, size: vocab}
  outputs:
    next: {from: head, loss: cross_entropy, target: next}
train: {seed: 3, steps: 4, batch: {size: 4, bptt: {window: 12, carry_state: false}}, checkpoint: {path: run/tiny.rwc}}
YAML
"$rewind" train tiny.yaml --threads 1 >/dev/null 2>train.err || { cat train.err; fail "train"; }

"$rewind" export run/tiny.rwc --safetensors own.safetensors 2>/dev/null || fail "export"
"$rewind" export run/tiny.rwc --torch --safetensors torch.safetensors 2>/dev/null || fail "export --torch"
"$rewind" import tiny.yaml --torch --safetensors torch.safetensors --out back/from_yaml.rwc 2>/dev/null || fail "import --torch from the yaml"
"$rewind" import run/tiny.rwc --safetensors own.safetensors --out back/from_ck.rwc 2>/dev/null || fail "import from the checkpoint"
for ck in back/from_yaml.rwc back/from_ck.rwc; do
    "$rewind" export "$ck" --safetensors again.safetensors 2>/dev/null || fail "export $ck"
    cmp -s own.safetensors again.safetensors || fail "$ck: its parameters differ from the trained ones"
done
"$rewind" eval run/tiny.rwc >eval.orig || fail "eval"
"$rewind" eval back/from_yaml.rwc >eval.back || fail "eval of the imported checkpoint"
cmp -s eval.orig eval.back || fail "eval differs: $(cat eval.orig) / $(cat eval.back)"

"$rewind" export run/tiny.rwc --torch --map | grep -q "^g.l0.U	g.weight_hh_l0 (z rows negated)$" || fail "--map"
set +e
"$rewind" import tiny.yaml --safetensors torch.safetensors --out x.rwc 2>err; st=$?
set -e
[ $st -eq 1 ] || fail "importing a torch file without --torch exits $st"
grep -q "looks like a PyTorch state dict (load it with --torch" err || fail "message: $(cat err)"
[ ! -e x.rwc ] || fail "a failed import wrote a checkpoint"
set +e
"$rewind" export run/tiny.rwc 2>err; st=$?
set -e
[ $st -eq 2 ] || fail "export without --safetensors exits $st"
echo "ok: export and import round-trip through rewind's and PyTorch's names"
