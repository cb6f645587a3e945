import type * as zmq from "zeromq";

/** Serializes sends: a zeromq v6 socket allows one send in flight at a time. */
export class SendQueue {
  private tail: Promise<unknown> = Promise.resolve();
  constructor(private readonly socket: zmq.Writable) {}

  send(frames: Buffer[]): Promise<void> {
    const next = this.tail.then(() => this.socket.send(frames));
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** Resolves when everything queued so far has been handed to ZeroMQ. */
  drained(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
