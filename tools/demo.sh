#!/usr/bin/env bash
# The main job: installs what it needs, builds e3md, runs the melt-quench demo deck on 2 MPI ranks
# (inputs/decks/demo.yaml: amorphous LiPON, melt, quench, NPT, 600 K diffusion), then analyses it:
# partial RDFs, Li MSD along a, b, c and in total, the Li diffusivity, with plots in out/demo/.
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
out=out/demo
# The diffusion stage is the last 10 ps: 200 frames every 50 steps.
"$e3md" analyze rdf "$out/demo.h5md" --start -201 --pairs P-O,Li-O,Li-Li,P-N --rmax 6 -o "$out/rdf.csv" --plot
"$e3md" analyze msd "$out/demo.h5md" --start -201 --species Li,P,O --remove-drift -o "$out/msd.csv" --plot
"$e3md" analyze diffusion "$out/demo.h5md" --start -201 --species Li --temperature 600 -o "$out/diffusion.csv" --plot
echo "demo finished: see $out/ (rdf.png, msd.png, diffusion.png, demo.h5md, final.xyz)"
