#!/usr/bin/env bash
# Install everything the kit needs on a fresh Debian machine with Node 20:
#   - Debian's Jupyter (nbconvert, nbclient, nbformat): used to execute notebooks in tests, as the
#     reference the kit is compared against, and for the real nbformat validator;
#   - the npm packages (exact versions from package-lock.json), which also builds the TypeScript;
#   - the tslab kernelspec, written by `tsnb kernel install` (no IPython needed).
set -euo pipefail
cd "$(dirname "$0")/.."

need_jupyter=0
/usr/bin/python3 -c "import nbclient, nbformat" 2>/dev/null || need_jupyter=1
[ -x /usr/bin/jupyter-nbconvert ] || need_jupyter=1
if [ "$need_jupyter" = 1 ]; then
  echo "==> Installing Debian's Jupyter packages"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    jupyter-nbconvert python3-nbclient python3-nbformat >/dev/null
fi

echo "==> Installing npm packages (npm ci)"
# @tensorflow/tfjs-node is optional: where its libtensorflow download is unreachable npm skips it
# and the kit falls back to the wasm backend.
npm ci --no-audit --no-fund

echo "==> Installing the tslab kernelspec"
node bin/tsnb.js kernel install
