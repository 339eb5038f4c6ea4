#!/usr/bin/env bash
# Builds e3md with warnings as errors and runs the whole test suite. Installs what it needs first.
#   bash tools/test.sh                 CPU build + all tests (build/)
#   E3MD_TEST_LABELS=unit bash tools/test.sh   only tests with that ctest label
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash tools/setup.sh
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DE3MD_WERROR=ON
cmake --build build -j"$jobs"
label_args=()
[[ -n "${E3MD_TEST_LABELS:-}" ]] && label_args=(-L "$E3MD_TEST_LABELS")
ctest --test-dir build --output-on-failure -j"$jobs" "${label_args[@]}"
