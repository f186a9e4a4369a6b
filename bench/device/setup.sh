# Sourced on the GPU machine: `source .devicepack/setup.sh` (bash). Puts the packed Node on PATH,
# unpacks the app to /tmp/confmat-pack (run it as `node "$CONFMAT_APP" ...`), adds the packed Vulkan loader / libGLdispatch to LD_LIBRARY_PATH where the machine lacks them,
# and points the loader at NVIDIA's driver manifest when one is found. Writes nothing outside /tmp;
# needs no dpkg and no root. Never exits the calling shell. Mended from ../shared/device/setup.sh.
#   CONFMAT_PACK_FORCE_LIBS=1  use the packed libraries even where the machine has its own (a test)
#   CONFMAT_PACK_NO_XZ=1       unpack Node with Python's lzma instead of xz (a test)
_cp_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
_cp_say() { echo "setup: $*"; }

# Node (to /tmp/nodebin) and the addons (in place), unpacked once per machine
_cp_unxz() {
  if command -v xz >/dev/null && [ -z "${CONFMAT_PACK_NO_XZ:-}" ]; then
    xz -dc "$1" > "$2.part"
  else
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"), 1 << 20)' "$1" "$2.part"
  fi && chmod +x "$2.part" && mv "$2.part" "$2"
}
# The app runs from a copy in /tmp (CONFMAT_APP), so that the packed tree stays as it was packed.
mkdir -p /tmp/nodebin
[ -x /tmp/nodebin/node ] || _cp_unxz "$_cp_here/node.xz" /tmp/nodebin/node || _cp_say "could not unpack node"
rm -rf /tmp/confmat-pack && mkdir -p /tmp/confmat-pack && cp -r "$_cp_here/app.mjs" "$_cp_here/kernels" "$_cp_here/node_modules" /tmp/confmat-pack/
while IFS= read -r _cp_f; do
  _cp_unxz "$_cp_f" "${_cp_f%.xz}" && rm -f "$_cp_f" || _cp_say "could not unpack $_cp_f"
done < <(find /tmp/confmat-pack/node_modules -name '*.node.xz' -type f)
export CONFMAT_APP=/tmp/confmat-pack/app.mjs
export PATH=/tmp/nodebin:$PATH
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}

# Libraries: the machine's own when it has them (ldconfig's cache), else the packed ones
_cp_libs=""
_cp_ldc=$(command -v ldconfig || echo /sbin/ldconfig)
# Measured on the H200 (2026-12-04): with libvulkan and libGLdispatch only on LD_LIBRARY_PATH,
# NVIDIA's ICD answered no vkCreateInstance ("Could not get 'vkCreateInstance' via
# 'vk_icdGetInstanceProcAddr' for ICD libGLX_nvidia.so.0"); with the glvnd libraries (libGLX, libEGL,
# libGLdispatch...) and the loader unpacked into / and in ldconfig's cache, it found the H200. So as
# root, on a machine without them, the packed .debs go into / (the device tool's own recipe).
if [ "$(id -u)" = 0 ] && [ -z "${CONFMAT_PACK_FORCE_LIBS:-}" ] && command -v dpkg >/dev/null \
    && ! "$_cp_ldc" -p 2>/dev/null | grep -q '[[:space:]]libGLX.so.0 '; then
  for _cp_f in "$_cp_here"/debs/*.deb; do [ -f "$_cp_f" ] && dpkg -x "$_cp_f" /; done
  "$_cp_ldc"
  _cp_say "glvnd and the Vulkan loader unpacked into / ($(ls "$_cp_here"/debs 2>/dev/null | tr '\n' ' '))"
fi
for _cp_pair in libvulkan1:libvulkan.so.1 libglvnd0:libGLdispatch.so.0; do
  _cp_pkg=${_cp_pair%%:*}
  _cp_so=${_cp_pair#*:}
  if [ -z "${CONFMAT_PACK_FORCE_LIBS:-}" ] && "$_cp_ldc" -p 2>/dev/null | grep -q "[[:space:]]$_cp_so "; then
    _cp_say "$_cp_so: the machine's own"
  elif [ -e "$_cp_here/lib/$_cp_pkg/$_cp_so" ]; then
    _cp_libs="$_cp_libs:$_cp_here/lib/$_cp_pkg"
    _cp_say "$_cp_so: packed ($(cat "$_cp_here/lib/$_cp_pkg/VERSION" 2>/dev/null))"
  else
    _cp_say "$_cp_so: MISSING (neither the machine nor the pack has it)"
  fi
done
# NVIDIA's user-space driver libraries (libGLX_nvidia, libnvidia-*), where container runtimes mount them
for _cp_d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
  [ -d "$_cp_d" ] && case ":${LD_LIBRARY_PATH:-}:" in *":$_cp_d:"*) ;; *) _cp_libs="$_cp_libs:$_cp_d" ;; esac
done
[ -n "$_cp_libs" ] && export LD_LIBRARY_PATH="${_cp_libs#:}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# The NVIDIA Vulkan driver manifest: a container's mount first, then the loader's standard places
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  for _cp_f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json \
      /etc/vulkan/icd.d/nvidia_icd.json /usr/local/share/vulkan/icd.d/nvidia_icd.json /etc/xdg/vulkan/icd.d/nvidia_icd.json \
      /usr/share/vulkan/icd.d/nvidia_icd.x86_64.json /etc/vulkan/icd.d/nvidia_icd.x86_64.json; do
    if [ -f "$_cp_f" ]; then
      export VK_DRIVER_FILES=$_cp_f VK_ICD_FILENAMES=$_cp_f
      break
    fi
  done
fi
_cp_say "node $(node --version 2>&1); VK_DRIVER_FILES=${VK_DRIVER_FILES:-(unset, the default search of the loader)}; LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || _cp_say "no nvidia-smi"
unset _cp_here _cp_ldc _cp_libs _cp_pair _cp_pkg _cp_so _cp_d _cp_f
unset -f _cp_say _cp_unxz
