#!/usr/bin/env bash
# Builds and runs one libFuzzer target over the DBusWire sources.
#
#   scripts/fuzz.sh TARGET [SECONDS] [extra libFuzzer flags...]
#
# TARGET names a file Fuzz/TARGET.swift that defines
# `@_cdecl("LLVMFuzzerTestOneInput")`. It is compiled in one module with every file of
# Sources/DBusWire (so it may use internal API), plus the files its "// fuzz-sources:" lines
# name, with -sanitize=fuzzer,address.
# Seeds come from Fuzz/seeds/TARGET/ when present; new inputs go to fuzz/corpus-work/TARGET,
# crashes to fuzz/out/TARGET. The linker's "Cannot export local symbol" warnings are harmless.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh TARGET [SECONDS] [libFuzzer flags...]}
seconds=${2:-60}
shift $(( $# >= 2 ? 2 : 1 ))

src="Fuzz/$target.swift"
[ -f "$src" ] || { echo "no fuzz target $src (have: $(ls Fuzz/*.swift | xargs -n1 basename | sed 's/.swift//' | tr '\n' ' '))" >&2; exit 2; }

bin="fuzz/out/$target/$target"
work="fuzz/corpus-work/$target"
mkdir -p "fuzz/out/$target" "$work"
mapfile -t wire < <(find Sources/DBusWire -name '*.swift' | sort)
# A target that needs sources outside DBusWire lists them in "// fuzz-sources: PATH" lines
# (files that depend on nothing but the standard library and DBusWire).
mapfile -t extra < <(sed -n 's|^// fuzz-sources: ||p' "$src")
# swiftc refuses two files with one name in a module, and a target is often named after the
# concept it fuzzes (Fuzz/SASLServer.swift beside a SASLServer source): compile a copy.
entry="fuzz/out/$target/FuzzEntry_$target.swift"
cp "$src" "$entry"
swiftc -O -wmo -sanitize=fuzzer,address -parse-as-library -module-name DBusWireFuzz \
  "${wire[@]}" "${extra[@]}" "$entry" -o "$bin" 2> >(grep -v "Cannot export local symbol" >&2)

corpora=("$work")
[ -d "Fuzz/seeds/$target" ] && corpora+=("Fuzz/seeds/$target")
exec "$bin" -max_total_time="$seconds" -artifact_prefix="fuzz/out/$target/" -print_final_stats=1 "$@" "${corpora[@]}"
