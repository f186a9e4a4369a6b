#!/usr/bin/env bash
# Runs a command as on a machine without the system packages the GPU, PNG and browser paths could
# use: Vulkan loader and drivers (libvulkan1, mesa-vulkan-drivers), Mesa's EGL/GL ES, Chromium and
# its SwiftShader, fonts. Everything stays installed; a private mount namespace hides it (root and
# util-linux's unshare needed). Used by .ci/run to prove that `npm test` needs no system package.
#   scripts/bare-machine.sh npm test
set -euo pipefail
if [ "${CONFMAT_BARE_INSIDE:-}" != 1 ]; then
  exec unshare --mount --propagation private env CONFMAT_BARE_INSIDE=1 "$0" "$@"
fi
hidden=()
for d in /usr/share/vulkan /etc/vulkan /usr/local/share/vulkan /usr/lib/chromium /usr/lib64/chromium /usr/lib/chromium-browser \
         /opt/google/chrome /usr/share/glvnd /usr/share/fonts /usr/local/share/fonts /etc/fonts; do
  [ -d "$d" ] && mount -t tmpfs -o size=1m,mode=755 confmat-bare "$d" && hidden+=("$d")
done
for f in /usr/lib/x86_64-linux-gnu/{libvulkan,libEGL,libGLES,libGLX,libGL,libgbm,libvulkan_}*.so* /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome; do
  [ -e "$f" ] && [ ! -L "$f" ] && mount --bind /dev/null "$f" && hidden+=("$f")
done
echo "bare machine: hid ${#hidden[@]} system paths (Vulkan, Mesa EGL/GL ES, Chromium, fonts)" >&2
exec "$@"
