#!/bin/sh
# rewind used from outside this tree, as a user would: installed into a
# temporary prefix and straight from the build tree, each through pkg-config
# and through CMake's find_package(rewind), shared and static. Every program
# built must run (no LD_LIBRARY_PATH: the rpath is the package's job).
#   tests/install_check.sh BUILD_DIR SOURCE_DIR
set -eu
build="$(cd "$1" && pwd)"; src="$(cd "$2" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
unset LD_LIBRARY_PATH
example="$src/examples/spiral.c"

# It must start (find librewind) and train; reaching spiral's accuracy
# target in 50 steps is not asked (it exits 1 then), learning is tested elsewhere.
runs() { # name binary
    out="$("$2" 50 2>&1)" || true
    case "$out" in
    *"final: loss"*) echo "ok: $1" ;;
    *) echo "FAILED: $1: $2 does not run: $out"; exit 1 ;;
    esac
}

# pkg-config, installed prefix: shared (rpath from rewind.pc) and static
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig:$prefix/lib/x86_64-linux-gnu/pkgconfig"
cc -std=c11 -Wall -Wextra -Werror -o "$work/pc_shared" "$example" $(pkg-config --cflags --libs rewind) -lm  # spiral.c itself uses libm
runs "pkg-config, installed, shared" "$work/pc_shared"
ldd "$work/pc_shared" | grep -q "$prefix/.*librewind.so" || { echo "FAILED: not linked to the installed librewind.so"; exit 1; }
cc -std=c11 -Wall -Wextra -Werror -o "$work/pc_static" "$example" $(pkg-config --cflags rewind) \
    "$prefix"/lib*/librewind.a $(pkg-config --libs --static rewind | sed 's/-lrewind//')
runs "pkg-config, installed, static" "$work/pc_static"

# pkg-config, build tree (rewind-uninstalled.pc)
PKG_CONFIG_PATH="$build" cc -std=c11 -Wall -Wextra -Werror -o "$work/pc_tree" "$example" \
    $(PKG_CONFIG_PATH="$build" pkg-config --cflags --libs rewind) -lm
runs "pkg-config, build tree" "$work/pc_tree"

# CMake find_package, installed prefix and build tree
mkdir -p "$work/user"
cp "$example" "$work/user/spiral.c"
cat >"$work/user/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.18)
project(user C)
find_package(rewind 0.1 REQUIRED)
add_executable(spiral spiral.c)
target_link_libraries(spiral PRIVATE rewind::rewind)
add_executable(spiral_static spiral.c)
target_link_libraries(spiral_static PRIVATE rewind::rewind_static)
CMAKE
for where in installed tree; do
    if [ "$where" = installed ]; then dir="$prefix"; var="-DCMAKE_PREFIX_PATH=$prefix"; else dir="$build"; var="-Drewind_DIR=$build"; fi
    cmake -S "$work/user" -B "$work/user-$where" "$var" >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; exit 1; }
    cmake --build "$work/user-$where" >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; exit 1; }
    runs "find_package, $where, shared" "$work/user-$where/spiral"
    runs "find_package, $where, static" "$work/user-$where/spiral_static"
    ldd "$work/user-$where/spiral" | grep -q "$dir/.*librewind.so" || { echo "FAILED: $where: wrong librewind.so"; exit 1; }
done
echo "installed to and built against $prefix and $build"
