#!/usr/bin/env bash
# Installs everything e3md needs to build, test and run on a fresh Debian 12 machine. Safe to run again:
# it only installs what is missing.
#   bash tools/setup.sh            build dependencies + the Python reference environment (.venv)
#   bash tools/setup.sh --build    build dependencies only
#   bash tools/setup.sh --demo     build dependencies + what the demo's plots need (numpy, matplotlib)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

packages=(build-essential cmake pkg-config git libopenmpi-dev openmpi-bin libeigen3-dev libhdf5-openmpi-dev
          libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev libgtest-dev libbenchmark-dev nlohmann-json3-dev)
if [[ "${1:-}" == "--demo" ]]; then
  packages+=(python3 python3-numpy python3-matplotlib)
elif [[ "${1:-}" != "--build" ]]; then
  # Reference implementations for parity tests and the plotting route.
  packages+=(lammps python3 python3-venv python3-pip python3-numpy python3-scipy python3-torch python3-ase
             python3-h5py python3-yaml python3-matplotlib python3-sympy python3-spglib python3-mdanalysis)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo_cmd=""
  [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  echo "e3md setup: installing ${missing[*]}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[[ "${1:-}" == "--build" || "${1:-}" == "--demo" ]] && exit 0

# Python reference environment: Debian's torch/numpy/ASE/MDAnalysis plus the pure-Python e3nn and
# nequip generation the reference study used (nequip 0.6.1 on e3nn 0.5.1).
venv="$here/.venv"
if [[ ! -x "$venv/bin/python" ]]; then
  /usr/bin/python3 -m venv --system-site-packages "$venv"
fi
# tidynamics: MDAnalysis' EinsteinMSD(fft=True) needs it (analysis parity tests).
if ! "$venv/bin/python" -c "import e3nn, nequip, tidynamics" >/dev/null 2>&1; then
  "$venv/bin/pip" install -q --no-deps e3nn==0.5.1 nequip==0.6.1 opt_einsum_fx==0.1.4 opt_einsum==3.3.0 \
    torch-runstats==0.2.0 torch-ema==0.3 tidynamics==1.1.2
fi
# Debian's torch calls itself 1.13.0a0, which nequip 0.6 rejects at import; it is 1.13.1. A .pth hook
# corrects the string just before nequip is imported (Debian's own sitecustomize.py shadows ours).
site=$("$venv/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
cat > "$site/e3md_torch_version.py" <<'PY'
import importlib.abc
import sys


class _FixTorchVersion(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "nequip":
            import torch
            if torch.__version__.startswith("1.13.0a0"):
                torch.__version__ = "1.13.1"
        return None


sys.meta_path.insert(0, _FixTorchVersion())
PY
echo "import e3md_torch_version" > "$site/e3md_torch_version.pth"
rm -f "$site/sitecustomize.py"
"$venv/bin/python" -c "import e3nn, nequip, ase, MDAnalysis, spglib, h5py; print('e3md setup: python references ok')"
