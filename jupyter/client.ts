/**
 * The client side of the kernel's sockets: Dealers for shell and control, a Subscriber for
 * iopub. Requests are correlated with replies by `parent_header.msg_id`; iopub messages are
 * routed to whoever registered for their parent's msg_id. Every received message has its
 * signature checked; a message that fails is dropped and counted, never acted on.
 */
import * as zmq from "zeromq";
import { ConnectionInfo, endpoint } from "./connection";
import { SendQueue } from "./send-queue";
import { ReceiveStats, receiveVerified } from "./receive-loop";
import { JupyterMessage, Session } from "./wire";

export type RequestChannel = "shell" | "control";
export type IopubHandler = (msg: JupyterMessage) => void;

export class ClientClosedError extends Error {
  constructor(message = "the kernel client was closed") {
    super(message);
    this.name = "ClientClosedError";
  }
}

interface Pending {
  resolve: (msg: JupyterMessage) => void;
  reject: (err: Error) => void;
}

export interface ClientStats extends ReceiveStats {
  sent: number;
}

export class KernelClient {
  readonly shell: zmq.Dealer;
  readonly control: zmq.Dealer;
  readonly iopub: zmq.Subscriber;
  readonly stats: ClientStats = { sent: 0, received: 0, badSignatures: 0, malformed: 0 };
  private readonly queues: Record<RequestChannel, SendQueue>;
  private readonly pending = new Map<string, Pending>();
  private readonly iopubHandlers = new Map<string, IopubHandler>();
  private readonly anyIopub = new Set<IopubHandler>();
  private closed = false;

  constructor(
    readonly info: ConnectionInfo,
    readonly session: Session,
  ) {
    this.shell = new zmq.Dealer({ linger: 0 });
    this.control = new zmq.Dealer({ linger: 0 });
    this.iopub = new zmq.Subscriber({ linger: 0 });
    this.queues = { shell: new SendQueue(this.shell), control: new SendQueue(this.control) };
  }

  /** Connect all sockets (ZeroMQ connects in the background and queues sends until then). */
  connect(): void {
    this.iopub.subscribe();
    this.iopub.connect(endpoint(this.info, "iopub"));
    this.shell.connect(endpoint(this.info, "shell"));
    this.control.connect(endpoint(this.info, "control"));
    void this.receiveLoop(this.shell, (msg) => this.onReply(msg));
    void this.receiveLoop(this.control, (msg) => this.onReply(msg));
    void this.receiveLoop(this.iopub, (msg) => this.onIopub(msg));
  }

  private receiveLoop(socket: zmq.Readable, handle: (msg: JupyterMessage) => void): Promise<void> {
    return receiveVerified(socket, this.session, this.stats, () => this.closed, handle);
  }

  private onReply(msg: JupyterMessage): void {
    const parent = msg.parent_header.msg_id;
    if (!parent) return;
    const waiter = this.pending.get(parent);
    if (!waiter) return; // a reply nobody waits for any more (e.g. a superseded kernel_info_request)
    this.pending.delete(parent);
    waiter.resolve(msg);
  }

  private onIopub(msg: JupyterMessage): void {
    for (const handler of this.anyIopub) handler(msg);
    const parent = msg.parent_header.msg_id;
    if (parent) this.iopubHandlers.get(parent)?.(msg);
  }

  /** Route iopub messages whose parent is `msgId` to `handler` (until `offIopub`). */
  onIopubFor(msgId: string, handler: IopubHandler): void {
    this.iopubHandlers.set(msgId, handler);
  }

  offIopubFor(msgId: string): void {
    this.iopubHandlers.delete(msgId);
  }

  /** Observe every iopub message; returns a function removing the observer. */
  onAnyIopub(handler: IopubHandler): () => void {
    this.anyIopub.add(handler);
    return () => this.anyIopub.delete(handler);
  }

  /**
   * Send a request. `reply` settles with the matching reply, or rejects if the client is
   * closed (or `failPending` is called) first. Register iopub handlers with `prepare`, which
   * runs before the message leaves, so that no iopub message for it can be missed.
   */
  request(channel: RequestChannel, msgType: string, content: object, prepare?: (msgId: string) => void): { msgId: string; reply: Promise<JupyterMessage> } {
    if (this.closed) throw new ClientClosedError();
    const msg = this.session.message(msgType, content);
    const msgId = msg.header.msg_id;
    const reply = new Promise<JupyterMessage>((resolve, reject) => this.pending.set(msgId, { resolve, reject }));
    reply.catch(() => undefined); // callers may stop caring (timeouts); never an unhandled rejection
    prepare?.(msgId);
    this.stats.sent++;
    this.queues[channel].send(this.session.serialize(msg)).catch((err: Error) => {
      const waiter = this.pending.get(msgId);
      this.pending.delete(msgId);
      waiter?.reject(err);
    });
    return { msgId, reply };
  }

  /** Stop waiting for one reply. */
  forget(msgId: string): void {
    this.pending.delete(msgId);
  }

  /** Reject every outstanding request (used when the kernel died). */
  failPending(err: Error): void {
    const waiters = [...this.pending.values()];
    this.pending.clear();
    for (const w of waiters) w.reject(err);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.failPending(new ClientClosedError());
    this.iopubHandlers.clear();
    this.anyIopub.clear();
    for (const socket of [this.shell, this.control, this.iopub]) {
      try {
        socket.close();
      } catch {
        // already closed
      }
    }
  }
}
