/**
 * The kernel's side of the connection: ROUTER sockets for shell, control and stdin, a PUB
 * socket for iopub, and the heartbeat echo (in a process of its own, heartbeat-echo.ts), all
 * bound to the ports of the connection file jupyter_client wrote.
 *
 * Every received message has its signature checked; one that fails is dropped and counted,
 * never handed on. What to do with a request is the kernel's business: this module only
 * receives, replies (on the socket the request came from) and publishes.
 */
import * as zmq from "zeromq";
import { ConnectionInfo, endpoint } from "./connection";
import { HeartbeatEcho, startHeartbeatEcho } from "./heartbeat-echo";
import { SendQueue } from "./send-queue";
import { ReceiveStats, receiveVerified } from "./receive-loop";
import { JupyterMessage, Session } from "./wire";

export type RequestChannel = "shell" | "control" | "stdin";
export type RequestHandler = (msg: JupyterMessage, channel: RequestChannel) => void;

export class KernelSockets {
  readonly stats: ReceiveStats = { received: 0, badSignatures: 0, malformed: 0 };
  private readonly routers: Record<RequestChannel, zmq.Router>;
  private readonly iopub: zmq.Publisher;
  private readonly queues: Record<RequestChannel | "iopub", SendQueue>;
  private heartbeat?: HeartbeatEcho;
  private closed = false;

  constructor(
    readonly info: ConnectionInfo,
    readonly session: Session,
  ) {
    // linger: replies queued just before a shutdown still leave when the sockets close.
    this.routers = {
      shell: new zmq.Router({ linger: 1000 }),
      control: new zmq.Router({ linger: 1000 }),
      stdin: new zmq.Router({ linger: 1000 }),
    };
    this.iopub = new zmq.Publisher({ linger: 1000 });
    this.queues = {
      shell: new SendQueue(this.routers.shell),
      control: new SendQueue(this.routers.control),
      stdin: new SendQueue(this.routers.stdin),
      iopub: new SendQueue(this.iopub),
    };
  }

  /** Bind every socket; `handle` is called for each verified request, in arrival order per channel. */
  async bind(handle: RequestHandler): Promise<void> {
    this.heartbeat = startHeartbeatEcho(endpoint(this.info, "hb"));
    await Promise.all([
      this.iopub.bind(endpoint(this.info, "iopub")),
      ...(["shell", "control", "stdin"] as const).map((c) => this.routers[c].bind(endpoint(this.info, c))),
    ]);
    for (const channel of ["shell", "control", "stdin"] as const) {
      void receiveVerified(
        this.routers[channel],
        this.session,
        this.stats,
        () => this.closed,
        (msg) => handle(msg, channel),
      );
    }
    // The echo process starts alongside (a few hundred ms on a loaded machine): requests are
    // answered meanwhile, and start-up still fails if its socket cannot be bound.
    await this.heartbeat.ready;
  }

  /** Send `<type>` in answer to `parent` on the channel it came from. */
  reply(channel: RequestChannel, parent: JupyterMessage, msgType: string, content: object, metadata?: Record<string, unknown>): Promise<void> {
    return this.send(channel, this.session.child(parent, msgType, content, { metadata }));
  }

  /** Broadcast on iopub; `parent` is the request the message belongs to (none for "starting"). */
  publish(parent: JupyterMessage | undefined, msgType: string, content: object): Promise<void> {
    const msg = parent
      ? this.session.child(parent, msgType, content, { topic: `kernel.${this.session.session}.${msgType}` })
      : { ...this.session.message(msgType, content), identities: [Buffer.from(`kernel.${this.session.session}.${msgType}`)] };
    return this.send("iopub", msg);
  }

  private send(channel: RequestChannel | "iopub", msg: JupyterMessage<object>): Promise<void> {
    if (this.closed) return Promise.resolve();
    // A failed send (socket closed under us at exit) is not worth crashing the kernel for.
    return this.queues[channel].send(this.session.serialize(msg)).catch(() => undefined);
  }

  /** Wait until every queued message has been handed to ZeroMQ, then close everything. */
  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all(Object.values(this.queues).map((q) => q.drained().catch(() => undefined)));
    this.closed = true;
    for (const socket of [...Object.values(this.routers), this.iopub]) {
      try {
        socket.close();
      } catch {
        // already closed
      }
    }
    this.heartbeat?.stop();
  }
}
