/**
 * A test client for a real kernel process: started from its kernelspec in a temporary
 * JUPYTER_PATH with the protocol home's own start-up code, then driven message by message.
 * Every iopub message is recorded in arrival order, so tests can assert sequences.
 */
import { installKernelSpec, KernelKind } from "../../grader/kernel/kernelspec";
import { findKernelSpec } from "../../jupyter/kernelspec";
import { RunningKernel, startKernel } from "../../jupyter/running-kernel";
import { JupyterMessage } from "../../jupyter/wire";
import { tempDir } from "../run/support";

export interface Execution {
  msgId: string;
  reply: JupyterMessage;
  /** This request's iopub messages, busy to idle, in order. */
  iopub: JupyterMessage[];
}

export class KernelHarness {
  /** Every iopub message received, in order. */
  readonly allIopub: JupyterMessage[] = [];
  private idleWaiters = new Map<string, () => void>();

  private constructor(readonly kernel: RunningKernel) {
    kernel.client.onAnyIopub((msg) => {
      this.allIopub.push(msg);
      if (msg.header.msg_type === "status" && msg.content.execution_state === "idle") {
        const id = msg.parent_header.msg_id;
        if (id) this.idleWaiters.get(id)?.();
      }
    });
  }

  static async start(kind: KernelKind, cwd: string): Promise<KernelHarness> {
    const prefix = tempDir("tsnb-kernel-test-");
    const name = `${kind}-harness`;
    installKernelSpec(kind, { prefix, name });
    const env = { ...process.env, JUPYTER_PATH: `${prefix}/share/jupyter` };
    const kernel = await startKernel(findKernelSpec(name, env)!, { cwd, env, startupTimeoutMs: 60_000 });
    return new KernelHarness(kernel);
  }

  iopubFor(msgId: string): JupyterMessage[] {
    return this.allIopub.filter((m) => m.parent_header.msg_id === msgId);
  }

  /** Send a request; resolves with its reply and iopub messages once both the reply and idle have arrived. */
  async request(channel: "shell" | "control", type: string, content: object): Promise<Execution> {
    let idle!: () => void;
    const idled = new Promise<void>((resolve) => (idle = resolve));
    const sent = this.kernel.client.request(channel, type, content, (id) => this.idleWaiters.set(id, idle));
    const [reply] = await Promise.all([sent.reply, idled]);
    this.idleWaiters.delete(sent.msgId);
    return { msgId: sent.msgId, reply, iopub: this.iopubFor(sent.msgId) };
  }

  /** Send without waiting: for queueing several requests at once. */
  send(channel: "shell" | "control", type: string, content: object): { msgId: string; done: Promise<Execution> } {
    let idle!: () => void;
    const idled = new Promise<void>((resolve) => (idle = resolve));
    const sent = this.kernel.client.request(channel, type, content, (id) => this.idleWaiters.set(id, idle));
    const done = Promise.all([sent.reply, idled]).then(([reply]) => ({ msgId: sent.msgId, reply, iopub: this.iopubFor(sent.msgId) }));
    return { msgId: sent.msgId, done };
  }

  execute(
    code: string,
    options: { silent?: boolean; stopOnError?: boolean; storeHistory?: boolean; userExpressions?: Record<string, string> } = {},
  ): Promise<Execution> {
    return this.request("shell", "execute_request", executeContent(code, options));
  }

  async shutdown(): Promise<void> {
    await this.kernel.shutdown();
  }
}

export function executeContent(
  code: string,
  options: { silent?: boolean; stopOnError?: boolean; storeHistory?: boolean; userExpressions?: Record<string, string> } = {},
): object {
  return {
    code,
    silent: options.silent ?? false,
    store_history: options.storeHistory ?? true,
    user_expressions: options.userExpressions ?? {},
    allow_stdin: false,
    stop_on_error: options.stopOnError ?? true,
  };
}

/** msg_type of each message, with the state for status messages ("status:busy"). */
export function types(messages: JupyterMessage[]): string[] {
  return messages.map((m) => (m.header.msg_type === "status" ? `status:${String(m.content.execution_state)}` : m.header.msg_type));
}

export function contentOf(messages: JupyterMessage[], type: string): Record<string, unknown>[] {
  return messages.filter((m) => m.header.msg_type === type).map((m) => m.content);
}

export function streamText(messages: JupyterMessage[], name: "stdout" | "stderr"): string {
  return contentOf(messages, "stream")
    .filter((c) => c.name === name)
    .map((c) => String(c.text))
    .join("");
}
