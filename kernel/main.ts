/**
 * The course kit's Jupyter kernel for TypeScript: `node dist/kernel/main.js <connection_file>`,
 * as its kernelspec (written by `tsnb kernel install`) tells Jupyter to start it.
 *
 * Start-up does only what kernel_info needs: read the connection file, bind the sockets, load
 * the Jupyter side. The TypeScript engine (tslab's compiler, a second or two to load) starts
 * after the first kernel_info_reply, in the background, or on the first request that needs it.
 */
import { readConnectionFile } from "../jupyter/connection";
import { KernelSockets } from "../jupyter/kernel-sockets";
import { Session } from "../jupyter/wire";
import { Engine } from "./engine";
import { OutputRouter } from "./output";
import { KernelService } from "./service";
import { installStackMapping } from "./sources";
import { runtimeErrorContent } from "./traceback";

/** The real stderr: once output is captured, process.stderr writes go to the notebook. */
const kernelLog = process.stderr.write.bind(process.stderr);

async function main(argv: string[]): Promise<void> {
  const file = argv.find((a) => !a.startsWith("-"));
  if (!file || argv.includes("--help") || argv.includes("-h")) {
    process.stderr.write(
      "usage: node dist/kernel/main.js <connection_file>\n(started by Jupyter through the tsnb-typescript kernelspec: tsnb kernel install)\n",
    );
    process.exitCode = file ? 0 : 2;
    return;
  }
  const info = await readConnectionFile(file);
  const session = new Session(info.key, info.signature_scheme, { username: "kernel" });
  const sockets = new KernelSockets(info, session);
  const output = new OutputRouter((parent, type, content) => sockets.publish(parent, type, content));
  const cwd = process.cwd();
  const service = new KernelService(sockets, output, () => new Engine(cwd, output.display), {
    cwd,
    exit: (code) => process.exit(code),
    warmUp: process.env.TSNB_KERNEL_LAZY !== "1",
  });

  installStackMapping();
  // From here on, anything notebook code prints goes to the notebook, not to the terminal.
  output.capture();

  // An error thrown by a callback, or a promise rejected with no handler: it fails the running
  // cell; between cells, it is shown on the last cell's stderr rather than killing the kernel.
  const stray = (error: unknown) => {
    if (service.runningEngine?.failRunning(error)) return;
    output.write("stderr", `${runtimeErrorContent(error).traceback.join("\n")}\n`);
  };
  process.on("uncaughtException", stray);
  process.on("unhandledRejection", stray);
  // Synchronous cell code is stopped by SIGINT itself (breakOnSigint); this handles a cell
  // waiting on a promise, and keeps SIGINT from killing the kernel between cells.
  process.on("SIGINT", () => void service.runningEngine?.interrupt());

  await sockets.bind(service.receive);
  await sockets.publish(undefined, "status", { execution_state: "starting" });
}

main(process.argv.slice(2)).catch((err: Error) => {
  kernelLog(`tsnb kernel: ${err.message}\n`);
  process.exit(1);
});
