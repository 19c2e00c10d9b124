#!/usr/bin/env bash
# The GPU check, prepared to run as is on a machine with a GPU (NVIDIA through Vulkan, or any
# WebGPU adapter Dawn finds): correctness of the webgpu backend against the cpu reference, then
# the paper-32 flow and train step times at batch 64 and 128. Installs nothing at run time:
# run `npm ci` once beforehand (it brings the optional `webgpu` package, Dawn for Node).
#   bench/gpu.sh [--batches 64,128] [--repeats 5] [--preset paper-32] [--out FILE] [--skip-check] [--no-write]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules/webgpu ] || [ ! -d node_modules/@tensorflow/tfjs-backend-webgpu ]; then
  echo "bench/gpu.sh: node_modules lacks webgpu or @tensorflow/tfjs-backend-webgpu: run npm ci first" >&2
  exit 2
fi
exec node --import tsx bench/gpu.ts "$@"
