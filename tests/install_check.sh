#!/bin/sh
# Installs rewind into a temporary prefix and builds a program against it
# with pkg-config only, as a user outside this tree would.
set -eu
build="$1"; src="$2"
prefix="$(mktemp -d)"
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig:$prefix/lib/x86_64-linux-gnu/pkgconfig"
cc -std=c11 -Wall -Wextra -Werror -o "$prefix/spiral" "$src/examples/spiral.c" \
    $(pkg-config --cflags rewind) $(pkg-config --libs --static rewind)
"$prefix/spiral" 300 >/dev/null || true   # it links and runs; learning is tested elsewhere
echo "installed and built against $prefix"
