#!/usr/bin/env bash
# The main job: installs what it needs, builds e3md, runs the demo deck on 2 MPI ranks (inputs/decks/demo.yaml:
# amorphous LiPON by melt-quench with the shipped demo NequIP model, then 600 K diffusion), which ends with its
# analysis: partial RDFs, MSD along a, b, c and in total, the Li diffusivity, with plots, all in out/demo/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash tools/setup.sh --demo
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target e3md
e3md=build/driver/e3md
export E3MD_PYTHON=${E3MD_PYTHON:-/usr/bin/python3}
ranks=${E3MD_RANKS:-2}
mpirun --allow-run-as-root --oversubscribe -np "$ranks" "$e3md" run inputs/decks/demo.yaml
echo "demo finished: see out/demo/ (rdf.png, msd.png, diffusion_msd.png and their CSV files, demo.h5md, final.xyz)"
