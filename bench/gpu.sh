#!/usr/bin/env bash
# The GPU check, prepared to run as is on a machine with a GPU. Two engines:
#   --engine ort     ONNX Runtime's CUDA execution provider (bench/gpu-ort.ts): the preset's net
#                    on CUDA against the CPU, then its flow and train step times. Needs the CUDA
#                    provider, which the npm package does not ship:
#                    ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js (CUDA 12, network).
#   --engine webgpu  TF.js's webgpu backend (bench/gpu.ts; NVIDIA through Vulkan, or any WebGPU
#                    adapter Dawn finds): correctness against cpu, then paper-32 step times. Needs
#                    the optional `webgpu` package (Dawn for Node), which `npm ci` brings.
# Default: both, ort first; exits non-zero if either fails or cannot run (with its reason).
#   bench/gpu.sh [--engine ort|webgpu|both] [--batches 64,128] [--repeats 5] [--preset paper-32] [--no-write]
set -uo pipefail
cd "$(dirname "$0")/.."
engine=both
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --engine) engine="${2:-}"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
case "$engine" in ort|webgpu|both) ;; *) echo "bench/gpu.sh: --engine $engine: expected ort, webgpu or both" >&2; exit 2 ;; esac
status=0
if [ "$engine" != webgpu ]; then
  echo "== ONNX Runtime, CUDA =="
  node --import tsx bench/gpu-ort.ts "${args[@]}" || status=$?
fi
if [ "$engine" != ort ]; then
  echo "== TF.js, webgpu =="
  if [ ! -d node_modules/webgpu ] || [ ! -d node_modules/@tensorflow/tfjs-backend-webgpu ]; then
    echo "bench/gpu.sh: node_modules lacks webgpu or @tensorflow/tfjs-backend-webgpu: run npm ci first" >&2
    status=2
  else
    node --import tsx bench/gpu.ts "${args[@]}" || status=$?
  fi
fi
exit $status
