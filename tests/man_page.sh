#!/bin/sh
# The manual page built from --help renders (man -l, or groff without man)
# and has a section for every command `rewind --help` lists.
# usage: man_page.sh REWIND MAN_PAGE
set -eu
rewind=$1 page=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -s "$page" ] || fail "$page is missing or empty"
if command -v man >/dev/null 2>&1; then
    text=$(MANWIDTH=100 man -l "$page" 2>&1) || fail "man -l $page: $text"
elif command -v groff >/dev/null 2>&1; then
    text=$(groff -man -Tutf8 -ww "$page" 2>&1) || fail "groff: $text"
else
    echo "neither man nor groff is installed: cannot render the page"; exit 77
fi
case "$text" in *warning*|*"can't"*) fail "rendering $page complains: $text" ;; esac
commands=$("$rewind" --help | awk '/^commands:$/ { on = 1; next } on && /^  [a-z]/ { print $1; next } on { on = 0 }')
[ -n "$commands" ] || fail "no commands in rewind --help"
for c in $commands; do
    printf '%s\n' "$text" | grep -q "^rewind $c\$" || fail "no section 'rewind $c' in the rendered page"
done
printf '%s\n' "$text" | grep -q "^SYNOPSIS" || fail "no SYNOPSIS"
echo "ok: rewind.1 renders and has a section for each of: $(echo $commands)"
