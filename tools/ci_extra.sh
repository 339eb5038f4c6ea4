#!/usr/bin/env bash
# The builds CI adds to tools/test.sh: the CUDA configuration (compiles and links; nothing runs it here) and
# an AddressSanitizer + UndefinedBehaviorSanitizer build of the unit tests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=$(nproc)
export PATH="/usr/local/cuda/bin:$PATH"
if command -v nvcc >/dev/null 2>&1; then
  cmake -S . -B build-cuda -DCMAKE_BUILD_TYPE=Release -DE3MD_WERROR=ON -DE3MD_CUDA=ON -DE3MD_TESTS=ON \
        -DE3MD_BENCHMARKS=OFF -DCMAKE_CUDA_HOST_COMPILER=g++
  cmake --build build-cuda -j"$jobs"
else
  echo "ci: nvcc not found; the CUDA configuration was not built" >&2
  exit 1
fi
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DE3MD_WERROR=ON -DE3MD_SANITIZE=ON -DE3MD_BENCHMARKS=OFF
# OpenMPI's own allocations at exit would count as leaks; the test listing run at build time needs this too.
export ASAN_OPTIONS=detect_leaks=0
cmake --build build-asan -j"$jobs" --target e3md_sanitizer_tests
ctest --test-dir build-asan --output-on-failure -j"$jobs" -L unit -LE "parity|mpi|slow"
