#!/usr/bin/env bash
# The main job on the bundled week 7 material, from a fresh clone:
#   1. install everything (scripts/setup.sh),
#   2. release the student notebooks (tsnb assign),
#   3. check the assignment end to end (tsnb validate),
#   4. grade the bundled sample submissions and print the summary table (tsnb grade).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

tsnb() { node bin/tsnb.js "$@"; }
echo
echo "==> tsnb assign notebooks/week07-cnn --out release --force"
tsnb assign notebooks/week07-cnn --out release --force
echo
echo "==> tsnb validate notebooks/week07-cnn"
tsnb validate notebooks/week07-cnn
echo
echo "==> tsnb grade notebooks/week07-cnn samples/week07-cnn/* --out results/week07-cnn"
tsnb grade notebooks/week07-cnn samples/week07-cnn/* --out results/week07-cnn
