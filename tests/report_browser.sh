#!/bin/sh
# `rewind train` keeps curves.svg, and `rewind report` makes a page that a
# real browser (headless Chromium) renders with the plots and the right
# number of points: one per logged training step, one per validation for
# the validation loss and for each metric. Skipped (status 77) when no
# Chromium is installed.
# usage: report_browser.sh REWIND_BINARY SOURCE_DIR
set -eu
rewind="$1"; src="$2"
browser=""
for b in chromium chromium-browser google-chrome; do
    if command -v "$b" >/dev/null 2>&1; then browser="$b"; break; fi
done
if [ -z "$browser" ]; then
    echo "SKIPPED: no headless browser (install Debian's 'chromium' package: scripts/install-deps --test)"
    exit 77
fi
dir="$(mktemp -d)"; profile="$(mktemp -d)"
trap 'rm -rf "$dir" "$profile"' EXIT
"$rewind" train "$src/models/classifier.yaml" --quiet --epochs 2 --log "$dir/run/log.csv" \
    --checkpoint "$dir/run/last.rwc" --set 'train.metrics=[accuracy, top2, f1]'
test -s "$dir/run/curves.svg" || { echo "FAIL: rewind train wrote no curves.svg"; exit 1; }
"$rewind" report "$dir/run"
test -s "$dir/run/report.html" || { echo "FAIL: no report.html"; exit 1; }
if grep -q 'https\?://[^"]*\.\(js\|css\|png\)' "$dir/run/report.html"; then
    echo "FAIL: the report refers to something on the network"; exit 1
fi
train_rows=$(grep -c ',train,' "$dir/run/log.csv")
valid_rows=$(grep -c ',valid,' "$dir/run/log.csv")
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$profile" \
    --dump-dom "file://$dir/run/report.html" >"$dir/dom.html" 2>"$dir/browser.log" || {
    echo "FAIL: $browser could not render the page:"; cat "$dir/browser.log"; exit 1; }
# the points of one series' polyline, as the browser parsed them
points() {
    tr '\n' ' ' <"$dir/dom.html" | grep -o "<polyline data-series=\"$1\"[^>]*>" | head -1 |
        sed 's/.* points="\([^"]*\)".*/\1/' | wc -w
}
fail=0
check() { # what got want
    if [ "$2" -ne "$3" ]; then echo "FAIL: $1: $2, want $3"; fail=1; else echo "ok: $1: $2"; fi
}
check "train loss points" "$(points 'train loss')" "$train_rows"
check "validation loss points" "$(points 'validation loss')" "$valid_rows"
for m in accuracy top2 f1; do
    check "$m points" "$(points "$m")" "$valid_rows"
done
check "circles (validation loss + 3 metrics)" "$(grep -o '<circle class="point"' "$dir/dom.html" | wc -l)" \
    "$((valid_rows * 4))"
check "axis ticks present" "$(grep -c 'class="tick"' "$dir/dom.html" | awk '{print ($1 > 0)}')" 1
check "legend entries" "$(tr '\n' ' ' <"$dir/dom.html" | grep -o '<g class="legend"' | wc -l)" 2
check "model YAML shown" "$(grep -c 'format: rewind/1' "$dir/dom.html" | awk '{print ($1 > 0)}')" 1
check "model summary shown" "$(grep -c 'total: .* parameters' "$dir/dom.html" | awk '{print ($1 > 0)}')" 1
exit $fail
