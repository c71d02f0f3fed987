#!/usr/bin/env bash
# Builds llama.cpp's own programs (llama-bench, llama-speculative-simple,
# llama-quantize, llama-simple) from the source bundle that node-llama-cpp's npm
# package ships, into a cache folder outside the repository.
#   SPECINFER_PEER_DIR  where to build (default ${XDG_CACHE_HOME:-~/.cache}/specinfer/llama.cpp)
# Needs cmake, ninja and g++ (Debian: apt-get install cmake ninja-build g++).
# Prints the folder holding the binaries on its last line.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bundle="$here/node_modules/node-llama-cpp/llama/gitRelease.bundle"
dir="${SPECINFER_PEER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/specinfer/llama.cpp}"
targets=(llama-bench llama-speculative-simple llama-quantize llama-simple)
for tool in cmake ninja g++ git; do
  command -v "$tool" >/dev/null || { echo "peer:build: $tool not found; install it (Debian: apt-get install cmake ninja-build g++ git)" >&2; exit 1; }
done
[ -f "$bundle" ] || { echo "peer:build: $bundle not found; run npm ci first" >&2; exit 1; }
if [ ! -d "$dir/src/.git" ]; then
  rm -rf "$dir/src"
  mkdir -p "$dir"
  git clone -q "$bundle" "$dir/src"
fi
cmake -S "$dir/src" -B "$dir/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF >/dev/null
cmake --build "$dir/build" --target "${targets[@]}" -j "$(nproc)"
echo "$dir/build/bin"
