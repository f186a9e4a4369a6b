#!/usr/bin/env bash
# Packs one bench entry (default bench/device.mjs) with Node, Dawn's linux-x64 binary, the bench
# kernels and the Vulkan loader into .devicepack/ (git-ignored) for the lent GPU machine, which has
# no Node, no registry and maybe no Vulkan loader. Run here, after `npm run build`:
#
#   bash bench/device/pack.sh [ENTRY.mjs] [more esbuild flags]
#
# then call the device tool with carry [".devicepack"] and `bash bench/device-run.sh`.
# Mended copy of ../shared/device/pack.sh (which does not travel to the device):
# - bench/kernels/*.wgsl go to .devicepack/kernels (bench/lib/gpu-phases.mjs looks there when bundled);
# - the Vulkan loader and the glvnd libraries travel as .debs (.devicepack/debs/): as root on a machine
#   without them, setup.sh unpacks them into / and runs ldconfig (on the H200, NVIDIA's ICD found
#   no vkCreateInstance with the libraries on LD_LIBRARY_PATH alone); libvulkan1 and libglvnd0 are
#   also unpacked HERE into .devicepack/lib/<package>/, for LD_LIBRARY_PATH where setup.sh is not root;
# - the native addons stay external and travel beside the bundle: Dawn (webgpu) and resvg (both
#   loaded lazily by dist/);
# - Node and the .node addons travel xz-compressed (the tree that travels, carry included, must stay
#   under 64 MiB); setup.sh unpacks them under /tmp and exports CONFMAT_APP, the bundle's copy there;
# - esbuild pinned; a warning when dist/ is older than src/ or shaders/.
set -euo pipefail
entry=${1:-bench/device.mjs}
[ $# -gt 0 ] && shift
root=$(git rev-parse --show-toplevel)
cd "$root"
here=bench/device
grep -qxF '/.devicepack/' .git/info/exclude 2>/dev/null || { mkdir -p .git/info && echo '/.devicepack/' >> .git/info/exclude; }
stale=$(find src shaders -type f -newer dist/index.js 2>/dev/null | head -3 | tr '\n' ' ')
[ -z "$stale" ] || echo "pack.sh: WARNING dist/ is older than $stale- run npm run build first" >&2
rm -rf .devicepack
mkdir -p .devicepack/node_modules/webgpu/dist .devicepack/lib
npx --yes esbuild@0.28.2 "$entry" --bundle --platform=node --format=esm --target=node20 \
  --external:webgpu --external:@resvg/resvg-js --outfile=.devicepack/app.mjs --log-level=warning \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" "$@"
cp -r bench/kernels .devicepack/kernels
cp node_modules/webgpu/package.json node_modules/webgpu/index.js .devicepack/node_modules/webgpu/
cp -r node_modules/webgpu/dist/linux-x64 .devicepack/node_modules/webgpu/dist/
# dist/node/png.js imports resvg (a native addon) at load: it travels as it is, linux-x64-gnu only
mkdir -p .devicepack/node_modules/@resvg
cp -r node_modules/@resvg/resvg-js node_modules/@resvg/resvg-js-linux-x64-gnu .devicepack/node_modules/@resvg/
xz -T0 -6 -c "$(readlink -f "$(command -v node)")" > .devicepack/node.xz
# the addons compressed too (setup.sh unpacks them in place): 50 MiB -> about 33 MiB to carry
find .devicepack/node_modules -name '*.node' -type f -exec xz -T0 -6 {} \;
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
mkdir -p /tmp/amd64/partial
apt-get $o update -qq >/dev/null
debs=$(mktemp -d)
chmod 777 "$debs"
(cd "$debs" && apt-get $o download libvulkan1 libglvnd0 libegl1 libgl1 libglx0 libgles2 libopengl0 >/dev/null)
mkdir -p .devicepack/debs && cp "$debs"/*.deb .devicepack/debs/
for pkg in libvulkan1 libglvnd0; do
  x="$debs/x-$pkg"
  dpkg -x "$debs"/${pkg}_*.deb "$x"
  mkdir -p .devicepack/lib/$pkg
  find "$x" -name '*.so*' \( -type f -o -type l \) -exec cp -a {} .devicepack/lib/$pkg/ \;
  dpkg-deb -f "$debs"/${pkg}_*.deb Package Version | tr '\n' ' ' > .devicepack/lib/$pkg/VERSION
done
rm -rf "$debs"
cp $here/setup.sh .devicepack/setup.sh
echo "packed $entry: $(du -sh .devicepack | cut -f1) in .devicepack ($(du -sb .devicepack | cut -f1) bytes; the device tool carries at most 64 MiB)"
