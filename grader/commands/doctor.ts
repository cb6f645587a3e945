/**
 * `tsnb doctor`: what this machine offers the grader, checked by trying (a test sandbox is
 * started), with a verdict an instructor can act on. Exits 0 when learner code will run inside
 * bubblewrap, 1 when grading would fall back to Node's permission model alone.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { findExecutable, setprivWithDeathSignal } from "../process/executables";
import { detectIsolation } from "../sandbox/isolation";

interface Check {
  ok: boolean;
  optional?: boolean;
  what: string;
}

function firstLine(command: string, args: string[]): string | undefined {
  const run = spawnSync(command, args, { encoding: "utf8", timeout: 10_000 });
  return run.status === 0 ? `${run.stdout}${run.stderr}`.trim().split("\n")[0] : undefined;
}

function nobodyExists(): boolean {
  try {
    return readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .some((l) => l.split(":")[2] === "65534");
  } catch {
    return false;
  }
}

export function doctorChecks(): { checks: Check[]; verdict: string; isolated: boolean } {
  const checks: Check[] = [];
  const major = Number(process.versions.node.split(".")[0]);
  checks.push({
    ok: major >= 20,
    what: `Node ${process.version}${major >= 20 ? " with the permission model (--experimental-permission)" : ": the permission model needs Node 20 or later"}`,
  });
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (root) {
    const nobody = nobodyExists();
    checks.push({
      ok: true,
      what: `running as root: sandbox processes run as nobody (uid 65534)${nobody ? "" : "; note: no nobody user in /etc/passwd, the uid is used anyway"}`,
    });
  } else {
    checks.push({
      ok: true,
      what: `running as uid ${process.getuid?.() ?? "?"}: sandbox processes run as your user outside bubblewrap and as nobody inside it`,
    });
  }
  const bwrap = findExecutable(process.env.TSNB_BWRAP || "bwrap");
  checks.push({
    ok: !!bwrap,
    what: bwrap ? `${firstLine(bwrap, ["--version"]) ?? "bwrap"} (${bwrap})` : "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)",
  });
  const launch = detectIsolation("auto");
  const isolated = launch.kind === "bubblewrap";
  checks.push({
    ok: isolated,
    what: isolated
      ? "namespaces: a test sandbox started with no network, its own user, pid, ipc and uts namespaces"
      : `namespaces: ${launch.summary.replace(/^FALLBACK to Node's permission model only \([^)]*\): /, "")}`,
  });
  const prlimit = findExecutable("prlimit");
  checks.push({
    ok: !!prlimit,
    what: prlimit
      ? `prlimit (${prlimit}): limits on processes, file size, open files and core dumps`
      : "prlimit (util-linux) not found: bubblewrap sandboxes would run without resource limits",
  });
  const setpriv = setprivWithDeathSignal();
  checks.push({
    ok: !!setpriv,
    what: setpriv
      ? `setpriv (${setpriv}): sandbox and type-check processes die with the grader`
      : "setpriv with --pdeathsig (util-linux 2.33+) not found: without bubblewrap, a killed grader may leave sandbox processes running",
  });
  const nbclient = spawnSync("/usr/bin/python3", ["-c", "import nbclient, nbformat"], { timeout: 20_000 }).status === 0;
  const jupyter = findExecutable("jupyter-nbconvert");
  checks.push({
    ok: nbclient && !!jupyter,
    optional: true,
    what: `Jupyter (nbconvert, nbclient): ${nbclient && jupyter ? "found" : "not found"} (the test suite and notebook comparisons use it; grading does not)`,
  });
  const chromium = findExecutable("chromium") ?? findExecutable("chromium-browser") ?? findExecutable("google-chrome");
  checks.push({ ok: !!chromium, optional: true, what: `a browser for screenshots: ${chromium ?? "not found"} (the test suite uses it; grading does not)` });
  const verdict = isolated
    ? "tsnb grade runs learner code inside bubblewrap, on top of Node's permission model (--isolation strict will work)."
    : "tsnb grade would fall back to Node's permission model alone: learner code could reach the network and see the process table. " +
      "Install bubblewrap and allow user namespaces (or run as root), or grade where they are available; --isolation strict refuses to grade here.";
  return { checks, verdict, isolated };
}

export function registerDoctorCommand(program: Command): void {
  program
    .command("doctor")
    .description(
      "Show what this machine supports for isolating learner code (bubblewrap, namespaces, users, limits) and give a verdict; exits 1 if grading would fall back",
    )
    .action(() => {
      const { checks, verdict, isolated } = doctorChecks();
      process.stdout.write("tsnb doctor: what this machine offers the grader\n\n");
      for (const c of checks) process.stdout.write(`  ${c.ok ? "ok  " : c.optional ? "--  " : "NO  "} ${c.optional ? "optional: " : ""}${c.what}\n`);
      process.stdout.write(`\nVerdict: ${verdict}\n`);
      if (!isolated) process.exitCode = 1;
    });
}
