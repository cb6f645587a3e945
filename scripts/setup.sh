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

# Debian packages: each is installed only when missing, all in one apt run, so a machine that
# has them (a developer's, a second CI step) skips apt entirely.
missing=()
want() { dpkg -s "$1" >/dev/null 2>&1 || missing+=("$1"); }
want jupyter-nbconvert        # executes notebooks: the reference tsnb run is compared against
want python3-nbclient
want python3-nbformat         # the real nbformat validator
want python3-jupyter-kernel-test # Jupyter's kernel conformance suite
want bubblewrap               # the OS-level sandbox around learner code
want util-linux               # prlimit and setpriv (normally present)
want jupyter-notebook         # the browser tests: classic Notebook 6,
want chromium                 # driven through puppeteer-core,
want fonts-noto-cjk           # with Korean glyphs in the screenshots
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> Installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "==> Installing npm packages (npm ci)"
# @tensorflow/tfjs-node is optional: where its libtensorflow download is unreachable npm skips it
# and the kit falls back to the wasm backend.
npm ci --no-audit --no-fund

echo "==> Installing the kernelspecs (the kit's kernel, and tslab's)"
node bin/tsnb.js kernel install
