/**
 * What notebook code writes, on its way to iopub: process.stdout/stderr become `stream`
 * messages and tslab's display hook becomes `display_data`, all addressed to the request
 * currently executing (or, for output written later by timers, to the last one, as ipykernel
 * does).
 *
 * Writes are buffered and sent once the current burst of synchronous code is over (or after
 * 64 KiB): a loop printing a thousand lines costs one message, not a thousand. Anything else
 * published (display data, results, errors, the reply) flushes the buffers first, so order is
 * kept.
 */
import { TextDecoder } from "node:util";
import type { JupyterMessage } from "../jupyter/wire";

export type StreamName = "stdout" | "stderr";
export type Publish = (parent: JupyterMessage, msgType: string, content: object) => Promise<void>;

const FLUSH_BYTES = 64 * 1024;

export class OutputRouter {
  /** The request output belongs to; undefined drops it (a silent execution). */
  private parent?: JupyterMessage;
  private muted = false;
  private pending: { name: StreamName; text: string } | undefined;
  private flushScheduled = false;
  private readonly decoders: Record<StreamName, TextDecoder> = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  /** The real stderr, for the kernel's own log. */
  readonly log: (text: string) => void;

  constructor(private readonly publishNow: Publish) {
    const stderr = process.stderr.write.bind(process.stderr);
    this.log = (text) => void stderr(text);
  }

  /** Route process.stdout and process.stderr through this router from now on. */
  capture(): void {
    for (const name of ["stdout", "stderr"] as const) {
      const stream = process[name];
      stream.write = (chunk: string | Uint8Array, encoding?: BufferEncoding | ((err?: Error | null) => void), callback?: (err?: Error | null) => void) => {
        const text = typeof chunk === "string" ? chunk : this.decoders[name].decode(chunk, { stream: true });
        this.write(name, text);
        const done = typeof encoding === "function" ? encoding : callback;
        if (done) process.nextTick(done);
        return true;
      };
    }
  }

  /** Output from now on belongs to `parent`; `silent` drops it, as an execute_request with silent=true asks. */
  setParent(parent: JupyterMessage, silent = false): void {
    void this.flush();
    this.parent = parent;
    this.muted = silent;
  }

  write(name: StreamName, text: string): void {
    if (!text) return;
    if (this.pending && this.pending.name !== name) void this.flush();
    if (this.pending) this.pending.text += text;
    else this.pending = { name, text };
    if (this.pending.text.length >= FLUSH_BYTES) void this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        void this.flush();
      });
    }
  }

  /** Send any buffered text; resolves once it is handed to ZeroMQ. */
  flush(): Promise<void> {
    const pending = this.pending;
    this.pending = undefined;
    if (pending && this.parent && !this.muted) return this.publishNow(this.parent, "stream", { name: pending.name, text: pending.text });
    return Promise.resolve();
  }

  /**
   * Publish a message of the current request (display data, a result, an error) after any
   * buffered text. Await it before running synchronous code: ZeroMQ only gets the message once
   * this thread is free again.
   */
  publish(msgType: string, content: object): Promise<void> {
    void this.flush();
    if (this.parent && !this.muted) return this.publishNow(this.parent, msgType, content);
    return Promise.resolve();
  }

  /** tslab's display hook: (content, update) for display_data / update_display_data. */
  readonly display = (content: object, update: boolean): void => {
    void this.publish(update ? "update_display_data" : "display_data", content);
  };
}
