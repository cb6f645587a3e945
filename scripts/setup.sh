#!/usr/bin/env bash
# Install everything the kit needs on a fresh Debian machine with Node 20:
#   - Debian's Jupyter (nbconvert, nbclient, nbformat): used to execute notebooks in tests, as the
#     reference the kit is compared against, and for the real nbformat validator;
#   - Debian's classic Jupyter Notebook, Chromium and CJK fonts: the real-browser test of the
#     notebooks (tests/browser) runs them as a learner sees them, Korean included;
#   - the npm packages (exact versions from package-lock.json), which also builds the TypeScript;
#   - Debian's python3-jupyter-kernel-test: Jupyter's kernel conformance suite, run by the tests;
#   - the kernelspecs of the kit's kernel and tslab, written by `tsnb kernel install` (no IPython needed);
#   - bubblewrap, the OS-level sandbox around learner code (`tsnb doctor` shows whether this
#     machine lets it create namespaces), and util-linux's prlimit/setpriv (normally present).
set -euo pipefail
cd "$(dirname "$0")/.."

need_jupyter=0
/usr/bin/python3 -c "import nbclient, nbformat" 2>/dev/null || need_jupyter=1
[ -x /usr/bin/jupyter-nbconvert ] || need_jupyter=1
/usr/bin/python3 -c "import jupyter_kernel_test" 2>/dev/null || need_jupyter=1
if [ "$need_jupyter" = 1 ]; then
  echo "==> Installing Debian's Jupyter packages"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    jupyter-nbconvert python3-nbclient python3-nbformat python3-jupyter-kernel-test >/dev/null
fi

need_sandbox=""
command -v bwrap >/dev/null 2>&1 || need_sandbox="bubblewrap"
{ command -v prlimit >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1; } || need_sandbox="$need_sandbox util-linux"
if [ -n "$need_sandbox" ]; then
  echo "==> Installing the sandbox tools ($need_sandbox)"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need_sandbox >/dev/null
fi

browser_packages=""
for pkg in jupyter-notebook chromium fonts-noto-cjk; do
  dpkg -s "$pkg" >/dev/null 2>&1 || browser_packages="$browser_packages $pkg"
done
if [ -n "$browser_packages" ]; then
  echo "==> Installing Debian packages for the browser test:$browser_packages"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $browser_packages >/dev/null
fi

echo "==> Installing npm packages (npm ci)"
# @tensorflow/tfjs-node is optional: where its libtensorflow download is unreachable npm skips it
# and the kit falls back to the wasm backend.
npm ci --no-audit --no-fund

echo "==> Installing the kernelspecs (the kit's kernel, and tslab's)"
node bin/tsnb.js kernel install
