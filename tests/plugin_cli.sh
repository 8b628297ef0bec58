#!/bin/sh
# rewind --plugin: the example plugin's cell trains a YAML model through
# `rewind train`; a missing file, a shared object without the entry point
# and a failing init are clear errors.
# usage: plugin_cli.sh REWIND PLUGIN.so SOURCE_DIR C_COMPILER
set -eu
rewind="$1"; plugin="$2"; src="$3"; cc="$4"
dir="$(mktemp -d)"; trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
if "$rewind" check "$src/examples/plugin/swish_classifier.yaml" >"$dir/out" 2>&1; then
    fail "the model loads without the plugin"
fi
grep -q "swish_elman" "$dir/out" || fail "the error does not name the unknown cell: $(cat "$dir/out")"
"$rewind" train "$src/examples/plugin/swish_classifier.yaml" --plugin "$plugin" --steps 40 \
    --checkpoint "$dir/run/last.rwc" --log "$dir/run/log.csv" --quiet 2>"$dir/train.err" || {
    cat "$dir/train.err"; fail "training with the plugin's cell"; }
first=$(awk -F, '$3=="valid"{print $4; exit}' "$dir/run/log.csv")
last=$(awk -F, '$3=="valid"{v=$4} END{print v}' "$dir/run/log.csv")
awk -v a="$first" -v b="$last" 'BEGIN{exit !(b < 0.69 && b <= a)}' ||
    fail "validation loss $first -> $last: the plugin's cell did not learn"
echo "ok: trained with the plugin's cell, validation loss $first -> $last"
"$rewind" --plugin="$plugin" ops | grep -q "plugin.swish" || fail "the plugin's op is not listed"
"$rewind" ops --plugin "$plugin" | grep -q "plugin.swish" || fail "--plugin after the command"
echo "ok: the plugin's op is registered (--plugin before or after the command)"
expect_error() { # expected-text args...
    want="$1"; shift
    if "$rewind" "$@" ops >"$dir/out" 2>&1; then fail "rewind $* succeeded"; fi
    grep -q "$want" "$dir/out" || fail "rewind $*: want '$want', got: $(cat "$dir/out")"
    echo "ok: $want"
}
expect_error "cannot load it" --plugin "$dir/missing.so"
libm="$("$cc" -print-file-name=libm.so.6)"
if [ -f "$libm" ]; then
    expect_error "no entry point: a rewind plugin defines 'int rewind_plugin_init(void)'" --plugin "$libm"
fi
expect_error "rewind_plugin_init() failed (returned 1): .*already registered\|rewind_plugin_init() failed" \
    --plugin "$plugin" --plugin "$plugin"

# plugins: in the model file, relative to the file: loaded before the
# layers are resolved, by train and by eval from the checkpoint.
mkdir "$dir/yaml"
cp "$plugin" "$dir/yaml/swish.so"
sed -e "s|^train: \.\./\.\./models/data|train: $src/models/data|" \
    -e "s|  train: \.\./\.\./models/data|  train: $src/models/data|" \
    -e 's|^format: rewind/1$|format: rewind/1\nplugins: [swish.so]|' \
    "$src/examples/plugin/swish_classifier.yaml" >"$dir/yaml/model.yaml"
"$rewind" train "$dir/yaml/model.yaml" --steps 10 --checkpoint "$dir/yaml/run/last.rwc" --quiet 2>"$dir/train.err" || {
    cat "$dir/train.err"; fail "training with plugins: in the model file"; }
"$rewind" eval "$dir/yaml/run/last.rwc" >"$dir/out" 2>&1 || fail "eval with plugins: $(cat "$dir/out")"
echo "ok: plugins: [swish.so] in the model file: trained and evaluated"
"$rewind" --plugin "$dir/yaml/swish.so" check "$dir/yaml/model.yaml" >"$dir/out" 2>&1 ||
    fail "--plugin and plugins: naming the same plugin: $(cat "$dir/out")"
sed 's|^plugins: \[swish.so\]$|plugins:\n  - missing.so|' "$dir/yaml/model.yaml" >"$dir/yaml/missing.yaml"
if "$rewind" train "$dir/yaml/missing.yaml" --steps 1 >"$dir/out" 2>&1; then fail "a missing plugin file trained"; fi
grep -q "missing.yaml:7:5: error: plugin 'missing.so' not found" "$dir/out" ||
    fail "missing plugin: want a positioned error, got: $(cat "$dir/out")"
echo "ok: a missing plugin file is an error at its position"
