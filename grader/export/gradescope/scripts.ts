/**
 * The two scripts Gradescope runs: setup.sh once, as root, when it builds the autograder image
 * (Ubuntu 22.04 by default), and run_autograder once per submission in a fresh container with
 * working directory /autograder. Both are bash with Unix line endings.
 */
import type { Language } from "@course-kit/kernel-helpers/messages";
import { AutograderConfig, deadlineSeconds, GRADER_HEAP_MB } from "./config";
import { graderFaultResults } from "./results";

/** The entry point inside the autograder source. */
export const ENTRY = "dist/grader/export/gradescope/autograder.js";
/** NodeSource's major version installed when the image has no suitable Node: the one CI tests. */
export const NODESOURCE_MAJOR = 20;

export interface ScriptOptions {
  config: AutograderConfig;
  /** The lowest Node version the kit supports (package.json engines), e.g. "20.19.0". */
  nodeMinimum: string;
}

export function setupScript({ config, nodeMinimum }: ScriptOptions): string {
  return `#!/usr/bin/env bash
# Gradescope build step for ${config.assignment} (written by tsnb export gradescope, tsnb ${config.graderVersion}).
# Runs once, as root, when Gradescope builds the autograder image. Any failure fails the build,
# so a broken autograder is caught at upload time, not on the first learner's submission.
set -euo pipefail
SOURCE="$(cd "$(dirname "\${BASH_SOURCE[0]}")" && pwd)"
NODE_MINIMUM="${nodeMinimum}"
NODESOURCE_MAJOR="${NODESOURCE_MAJOR}"

node_ok() {
  command -v node >/dev/null 2>&1 && node -e '
    const want = process.argv[1].split(".").map(Number);
    const have = process.versions.node.split(".").map(Number);
    const cmp = have.map((v, i) => v - (want[i] || 0)).find((d) => d !== 0) || 0;
    process.exit(cmp >= 0 ? 0 : 1);' "$NODE_MINIMUM"
}

if node_ok; then
  echo "==> Node.js $(node --version) is already installed (need $NODE_MINIMUM or newer)"
else
  # Ubuntu's own nodejs is too old; NodeSource's signed apt repository has current releases.
  echo "==> Installing Node.js $NODESOURCE_MAJOR from NodeSource (found: $(node --version 2>/dev/null || echo none))"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends ca-certificates curl gnupg >/dev/null
  install -d -m 0755 /etc/apt/keyrings
  curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key | gpg --dearmor --yes -o /etc/apt/keyrings/nodesource.gpg
  echo "deb [signed-by=/etc/apt/keyrings/nodesource.gpg] https://deb.nodesource.com/node_$NODESOURCE_MAJOR.x nodistro main" >/etc/apt/sources.list.d/nodesource.list
  apt-get update -qq
  apt-get install -y -qq nodejs >/dev/null
  node_ok || { echo "setup.sh: Node.js $NODE_MINIMUM or newer is required, found $(node --version 2>/dev/null || echo none)" >&2; exit 1; }
  echo "==> Node.js $(node --version)"
fi

# The learner sandbox runs in bubblewrap where the container allows namespaces; each run decides,
# falls back to Node's permission model where it cannot, and says which in its output.
if ! command -v bwrap >/dev/null 2>&1; then
  echo "==> Installing bubblewrap for the learner sandbox"
  { DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bubblewrap >/dev/null; } ||
    echo "setup.sh: bubblewrap could not be installed; learner code will run under Node's permission model only"
fi

cd "$SOURCE"
echo "==> Installing the grader's locked npm packages (npm ci --omit=dev)"
npm ci --omit=dev --no-audit --no-fund

echo "==> Making the hidden tests and the solution readable by root only"
chown -R root:root "$SOURCE"
# Others may reach the grader's code (the learner sandbox runs from it) but not list the folder.
chmod 711 "$SOURCE"
chmod -R go-rwx "$SOURCE/assignment" "$SOURCE/tsnb-autograder.json"

echo "==> Proving the build: grading the instructor's solution (it must score full marks)"
node "$SOURCE/${ENTRY}" prove
`;
}

const REASON = "@REASON@";

/** The placeholder results.json as one shell word, with the reason spliced in by bash. */
function placeholderWord(lang: Language): string {
  const json = JSON.stringify(graderFaultResults(REASON, lang));
  if (json.includes("'")) throw new Error("the placeholder results must not contain a single quote");
  return `'${json.replace(REASON, `'"$reason"'`)}'`;
}

export function runAutograderScript({ config }: ScriptOptions): string {
  const deadline = deadlineSeconds(config);
  return `#!/usr/bin/env bash
# Gradescope runs this once per submission, as root, in a fresh container, from /autograder
# (written by tsnb export gradescope for ${config.assignment}, tsnb ${config.graderVersion}).
# It always leaves a valid /autograder/results/results.json: if the grader fails or runs out of
# time, a placeholder with score 0 that says the fault is the autograder's, not the learner's.
set -uo pipefail
SOURCE=/autograder/source
RESULTS=/autograder/results
DEADLINE=${deadline}

mkdir -p "$RESULTS"
rm -f "$RESULTS/results.json"
cd /autograder
unset NODE_OPTIONS

status=0
timeout --kill-after=10 "$DEADLINE" node --max-old-space-size=${GRADER_HEAP_MB} "$SOURCE/${ENTRY}" run || status=$?

if [ ! -s "$RESULTS/results.json" ]; then
  if [ "$status" = 124 ] || [ "$status" = 137 ]; then
    reason="the grader did not finish within $DEADLINE seconds"
  else
    reason="the grader stopped with exit status $status"
  fi
  echo "tsnb: no results.json was written ($reason); writing a placeholder with score 0" >&2
  printf '%s\\n' ${placeholderWord(config.language)} >"$RESULTS/results.json"
fi
exit 0
`;
}
