/**
 * Entry point of a learner sandbox process (started by host.ts, never by hand). It loads the
 * course helpers it may offer and the learner's transpiled cells into a LearnerRealm, reports
 * which cells loaded, then answers calls from the tests with plain data.
 *
 * argv: <module-file>...   (JSON SandboxModule descriptions). The program itself arrives as the
 * first IPC message, so a process can be started before it is known whose code it will run,
 * and it never needs read access to any submission's files.
 */
import { readFileSync } from "node:fs";
import { types } from "node:util";
import { LearnerRealm, SandboxModule } from "./context";
import { describeThrown } from "./errors";
import { CallReply, CallRequest, IDENTIFIER, LearnerProgram, LoadedCell, LoadRequest, RealmTexts, SETUP_FAILED, boxNumbers } from "./protocol";
import { NotPlainData, snapshot } from "./snapshot";

const CELL_TIMEOUT_MS = 5000;

function lockDownProcess(): void {
  // Learner code never sees `process`, but if it ever escaped the realm these would be the
  // tools to reach other processes; the permission model already blocks files and spawning.
  const p = process as unknown as Record<string, unknown>;
  for (const key of ["kill", "_kill", "dlopen", "_debugProcess", "setuid", "setgid", "setgroups", "chdir"]) {
    try {
      Object.defineProperty(p, key, { value: undefined, writable: false, configurable: false });
    } catch {
      /* already locked */
    }
  }
}

class PromiseTimeout extends Error {}
class PromiseRejected extends Error {
  constructor(readonly reason: unknown) {
    super("rejected");
  }
}

function settle(promise: Promise<unknown>, ms: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new PromiseTimeout()), Math.max(0, ms));
    promise.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e) => (clearTimeout(timer), reject(new PromiseRejected(e))),
    );
  });
}

function send(message: object): void {
  process.send?.(message);
}

function main(): void {
  let modules: SandboxModule[];
  try {
    modules = process.argv.slice(2).map((f) => JSON.parse(readFileSync(f, "utf8")) as SandboxModule);
  } catch (err) {
    // The grader's own set-up failed (e.g. unreadable files): say so with a distinct exit code.
    process.stderr.write(`tsnb sandbox: cannot load the offered modules: ${(err as Error).message}\n`);
    process.exit(SETUP_FAILED);
  }
  lockDownProcess();
  process.once("message", (raw: unknown) => {
    const msg = raw as LoadRequest;
    if (msg?.type !== "load") return process.exit(2);
    serve(msg.program, modules, msg.texts);
  });
  // The grader going away (or a Jest worker ending) must end this process too.
  process.on("disconnect", () => process.exit(0));
}

function serve(program: LearnerProgram, modules: SandboxModule[], texts: RealmTexts): void {
  // One realm per notebook, as each notebook has a kernel of its own.
  const realms = new Map<string, LearnerRealm>();
  const realmOf = (notebook: string): LearnerRealm => {
    let realm = realms.get(notebook);
    if (!realm) realms.set(notebook, (realm = new LearnerRealm(modules, texts)));
    return realm;
  };
  const home = new Map<string, string>();
  const maps = new Map<string, string>();
  const thrownBy = (err: unknown) => describeThrown(err, program.cells, maps, texts);
  const loaded: LoadedCell[] = program.cells.map((cell, index) => {
    if (cell.exercise) home.set(cell.exercise, cell.notebook);
    if (cell.compileError) return { label: cell.label, exercise: cell.exercise, ok: false, compileError: cell.compileError };
    const filename = `cell-${index}.js`;
    if (cell.map) maps.set(filename, cell.map);
    try {
      realmOf(cell.notebook).runCell(cell.code, filename, CELL_TIMEOUT_MS);
      return { label: cell.label, exercise: cell.exercise, ok: true };
    } catch (err) {
      return { label: cell.label, exercise: cell.exercise, ok: false, thrown: thrownBy(err) };
    }
  });
  const drainOutput = () => [...realms.values()].map((r) => r.drainOutput()).join("");
  /** The realm and function for a name: the exercise's own notebook first, then any other. */
  const find = (name: string, timeoutMs: number): { realm: LearnerRealm; fn: unknown } | undefined => {
    const preferred = home.get(name);
    const order = [...realms.entries()].sort(([a], [b]) => Number(b === preferred) - Number(a === preferred));
    for (const [, realm] of order) {
      const fn = realm.lookup(name, timeoutMs);
      if (fn !== undefined) return { realm, fn };
    }
    return undefined;
  };
  send({ type: "ready", cells: loaded, output: drainOutput() });

  const answer = async (req: CallRequest): Promise<void> => {
    const started = performance.now();
    const reply = (body: Record<string, unknown>): void => send({ type: "reply", id: req.id, output: drainOutput(), ms: performance.now() - started, ...body });
    if (!IDENTIFIER.test(req.fn)) return reply({ kind: "missing", reason: { key: "sandbox.invalidName", params: { name: JSON.stringify(req.fn) } } });
    const ms = req.timeoutMs;
    try {
      const found = find(req.fn, ms);
      if (!found) return reply({ kind: "missing", reason: { key: "sandbox.notDefined", params: { fn: req.fn } } });
      const { threw, result, error } = found.realm.call(found.fn, JSON.stringify(req.args), ms);
      if (threw) return reply({ kind: "threw", ...thrownBy(error) });
      // Exercises are synchronous, but an async answer is still an answer: wait for it, within
      // what is left of the time limit.
      const value = snapshot(types.isPromise(result) ? await settle(result, ms - (performance.now() - started)) : result);
      return reply({ kind: "returned", value: boxNumbers(value) });
    } catch (err) {
      if ((err as { code?: string })?.code === "ERR_SCRIPT_EXECUTION_TIMEOUT") {
        return reply({ kind: "timeout", reason: { key: "sandbox.callTimeout", params: { fn: req.fn, ms } } });
      }
      if (err instanceof PromiseTimeout) return reply({ kind: "timeout", reason: { key: "sandbox.promiseTimeout", params: { fn: req.fn, ms } } });
      if (err instanceof NotPlainData) return reply({ kind: "invalid-result", reason: err.reason });
      if (err instanceof PromiseRejected) return reply({ kind: "threw", ...thrownBy(err.reason) });
      // Learner code throws objects of its own realm; an Error of this realm is the runner's own
      // failure, which must not be blamed on the learner.
      if (err instanceof Error) return reply({ kind: "internal", message: `${err.name}: ${err.message}` });
      return reply({ kind: "threw", ...thrownBy(err) });
    }
  };
  process.on("message", (raw: unknown) => {
    const req = raw as CallRequest;
    if (!req || req.type !== "call") return;
    // Failing to answer (e.g. describing what was thrown failed) is the runner's fault, not the
    // learner's: say so, rather than leave a rejection that would end the process as a crash.
    answer(req).catch((err: unknown) => {
      const message = err instanceof Error ? `${err.name}: ${err.message}` : "the sandbox could not answer the call";
      send({ type: "reply", id: req.id, kind: "internal", message, output: "", ms: 0 } satisfies CallReply);
    });
  });
}

main();
