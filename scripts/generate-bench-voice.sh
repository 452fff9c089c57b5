#!/usr/bin/env bash
# Builds the benchmark voice (scripts/generate-bench-voice.py) into <out_dir>, installing what it needs
# from Debian when missing: python3-torch and python3-onnx for the generator, espeak-ng-data for the
# sherpa-onnx copy (sherpa-onnx phonemizes with its own eSpeak NG, which reads that data directory).
# Nothing is downloaded from anywhere else. Called by `npm run bench -- vits` when the voice is missing.
#
# Usage: scripts/generate-bench-voice.sh <out_dir> [generator options, e.g. --decoder high]
set -euo pipefail

out_dir=${1:?usage: scripts/generate-bench-voice.sh <out_dir> [--decoder medium|high] [--seed N]}
shift
# Debian's interpreter, not one from PATH (pyenv and the like do not see Debian's python3-* packages).
python=/usr/bin/python3

missing=()
"$python" -c 'import torch' 2>/dev/null || missing+=(python3-torch)
"$python" -c 'import onnx' 2>/dev/null || missing+=(python3-onnx)
espeak_data=""
for candidate in /usr/lib/x86_64-linux-gnu/espeak-ng-data /usr/lib/aarch64-linux-gnu/espeak-ng-data /usr/share/espeak-ng-data; do
  if [[ -f $candidate/phontab ]]; then espeak_data=$candidate && break; fi
done
[[ -n $espeak_data ]] || missing+=(espeak-ng-data)

if ((${#missing[@]})); then
  if ! command -v apt-get >/dev/null; then
    echo "error: the bench voice needs the Debian packages ${missing[*]} (no apt-get on this machine)" >&2
    exit 1
  fi
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    if ! command -v sudo >/dev/null || ! sudo -n true 2>/dev/null; then
      echo "error: installing ${missing[*]} needs root: apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
    sudo=(sudo -n)
  fi
  # Wait for another apt run (a shared machine may have one going) rather than fail on its lock.
  apt=("${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600)
  echo "installing Debian packages: ${missing[*]}" >&2
  "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >&2 ||
    { "${apt[@]}" update >&2 && "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >&2; }
  if [[ -z $espeak_data ]]; then espeak_data=$(dirname "$(dpkg -L espeak-ng-data | grep -m1 '/espeak-ng-data/phontab$')"); fi
fi

"$python" "$(dirname "$0")/generate-bench-voice.py" "$out_dir" "$@"

# The sherpa-onnx layout carries its eSpeak data beside the model, as sherpa-onnx's own voice archives do.
for sherpa_dir in "$out_dir"/*-sherpa; do
  ln -sfn "$espeak_data" "$sherpa_dir/espeak-ng-data"
done
