#!/usr/bin/env bash
# The one command for the device tool (issue #5's real-GPU figures, about 5 minutes on an H200).
# Here first:  npm run build && bash bench/device/pack.sh          (makes .devicepack/, ~31 MiB)
# Device tool: run(command="bash bench/device-run.sh", carry=[".devicepack"], timeout_s=480)
# Arguments go to bench/device.mjs (e.g. --quick, --sizes 1e7x10,1e8x10, --runs 3).
# It prints the machine, the GPU and the WebGPU adapter; runs bench/device.mjs (confmat: floors,
# end to end, resident, histogram modes, chunk sizes, float16, phases) then bench/device-torch.py
# (torch + torchmetrics on the same data); everything goes to $OUT: log, probe.json, device.json,
# torch.json, and vulkan.txt when Vulkan shows no adapter (then the torch side still runs, on the
# data and the CPU oracle's counts). Stages are bounded by timeouts so that the whole stays under
# ~450 s: CONFMAT_NODE_TIMEOUT (default 280 s; device.mjs itself cuts runs past --budget-s 200),
# CONFMAT_TORCH_TIMEOUT (140 s).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
OUT=${OUT:-/tmp/confmat-device-out}
NPY=${CONFMAT_NPY_DIR:-/tmp/confmat-npy}
mkdir -p "$OUT"

vulkan_facts() {
  echo "== Vulkan facts (no hardware WebGPU adapter was found)"
  echo "-- environment"
  env | grep -E '^(VK_|LD_LIBRARY_PATH|XDG_|NVIDIA_|__EGL|__GLX|CONFMAT_)' | sort
  echo "-- driver manifests (ICD) and layers"
  for d in /usr/local/nvidia/share/vulkan/icd.d /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/share/vulkan/icd.d \
      /etc/xdg/vulkan/icd.d /usr/local/nvidia/share/vulkan/implicit_layer.d /usr/share/vulkan/implicit_layer.d /etc/vulkan/implicit_layer.d; do
    [ -d "$d" ] || continue
    for f in "$d"/*.json; do [ -f "$f" ] && { echo "$f:"; head -c 600 "$f"; echo; }; done
  done
  echo "-- ldconfig: loader and NVIDIA user-space libraries"
  "$(command -v ldconfig || echo /sbin/ldconfig)" -p 2>/dev/null | grep -E 'libvulkan|libGLX|libGLdispatch|libnvidia-(glcore|gpucomp|glvkspirv|tls)|libEGL' || echo "(none in ldconfig's cache)"
  echo "-- /usr/local/nvidia"
  ls /usr/local/nvidia /usr/local/nvidia/lib64 2>&1 | head -60
  ls -la /dev/nvidia* /dev/dri 2>&1 | head -20
  echo "-- can the manifest's library be loaded (dlopen through python3's ctypes)?"
  for f in ${VK_DRIVER_FILES:-} /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json; do
    [ -f "$f" ] || continue
    python3 - "$f" <<'PY'
import ctypes, json, sys
lib = json.load(open(sys.argv[1]))["ICD"]["library_path"]
try:
    ctypes.CDLL(lib)
    print(f"{lib}: loads")
except OSError as e:
    print(f"{lib}: {e}")
PY
    break
  done
  echo "-- the loader's own account (VK_LOADER_DEBUG=error,warn,driver)"
  VK_LOADER_DEBUG=error,warn,driver CONFMAT_DAWN_BACKEND=vulkan timeout 60 node "$CONFMAT_APP" --probe 2>&1 | head -80
}

main() {
  local rc=0
  echo "== confmat device run $(date -u +%FT%TZ): $(uname -srm), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), git $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "== nvidia-smi"
  nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used,clocks.sm,clocks.max.sm,clocks.mem,power.draw,power.limit,temperature.gpu --format=csv 2>&1 || echo "(no nvidia-smi)"
  echo "== setup (.devicepack/setup.sh)"
  if [ ! -f .devicepack/setup.sh ]; then
    echo "no .devicepack/: pack it here (bash bench/device/pack.sh) and carry [\".devicepack\"]"
    return 1
  fi
  # shellcheck disable=SC1091
  source .devicepack/setup.sh
  command -v node >/dev/null && [ -f "${CONFMAT_APP:-}" ] || { echo "no node or no app after setup.sh"; return 1; }
  echo "== WebGPU adapter (device.mjs --probe)"
  timeout 60 node "$CONFMAT_APP" --probe > "$OUT/probe.json"
  local probe=$?
  cat "$OUT/probe.json"
  case $probe in
    0) ;;
    3) echo "a SOFTWARE adapter only"; vulkan_facts 2>&1 | tee "$OUT/vulkan.txt" ;;
    *) echo "NO adapter (exit $probe)"; vulkan_facts 2>&1 | tee "$OUT/vulkan.txt" ;;
  esac
  echo "== confmat: bench/device.mjs $*"
  rm -rf "$NPY"
  timeout -k 10 "${CONFMAT_NODE_TIMEOUT:-280}" node "$CONFMAT_APP" --out "$OUT/device.json" --npy-dir "$NPY" "$@"
  local node_rc=$?
  echo "== device.mjs exit $node_rc$([ $node_rc = 124 ] && echo ' (TIMED OUT: device.json holds the cells done)')"
  [ $node_rc = 0 ] || rc=$node_rc
  echo "== torch: bench/device-torch.py"
  df -h "$NPY" 2>/dev/null | tail -1
  PYTHONUNBUFFERED=1 timeout -k 10 "${CONFMAT_TORCH_TIMEOUT:-140}" python3 bench/device-torch.py --npy-dir "$NPY" --confmat "$OUT/device.json" --out "$OUT/torch.json"
  local py_rc=$?
  echo "== device-torch.py exit $py_rc$([ $py_rc = 124 ] && echo ' (TIMED OUT)')"
  [ $py_rc = 0 ] || rc=$py_rc
  rm -rf "$NPY"
  ls -la "$OUT"
  return $rc
}

main "$@" 2>&1 | tee "$OUT/log"
exit "${PIPESTATUS[0]}"
