#!/usr/bin/env bash
# Installs the Debian 12 packages vclab needs, only those missing (idempotent). Needs root or sudo.
set -euo pipefail
packages=(build-essential cmake pkg-config libarmadillo-dev libopenblas-dev liblapack-dev doctest-dev libhdf5-dev
          hdf5-tools gnuplot-nox libcli11-dev nlohmann-json3-dev zlib1g-dev libmatio-dev libssl-dev
          dataset-fashion-mnist python3-h5py python3-numpy
          pmccabe     # scripts/function-lengths.sh measures function lengths with it
          slurm-wlm)  # slurm-wlm: the Figure 2 sweep test submits its job array to a throw-away single-node cluster
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
