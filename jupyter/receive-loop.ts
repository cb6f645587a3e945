import type * as zmq from "zeromq";
import { JupyterMessage, Session, WireError } from "./wire";

export interface ReceiveStats {
  received: number;
  /** Messages dropped because their signature did not verify (or repeated a seen one). */
  badSignatures: number;
  /** Messages dropped because their frames were malformed. */
  malformed: number;
}

/**
 * Read messages from `socket` until it is closed (or `stopped()`), handing each one whose
 * signature verifies to `handle`; a message that fails is counted and dropped, never acted on.
 */
export async function receiveVerified(
  socket: zmq.Readable,
  session: Session,
  stats: ReceiveStats,
  stopped: () => boolean,
  handle: (msg: JupyterMessage) => void,
): Promise<void> {
  while (!stopped()) {
    let frames: Buffer[];
    try {
      frames = await socket.receive();
    } catch {
      return; // the socket was closed
    }
    let msg: JupyterMessage;
    try {
      msg = session.deserialize(frames);
    } catch (err) {
      if (err instanceof WireError && err.reason === "bad-signature") stats.badSignatures++;
      else stats.malformed++;
      continue;
    }
    stats.received++;
    try {
      handle(msg);
    } catch (err) {
      // A handler bug must not stop the receive loop.
      process.emitWarning(`error handling a ${msg.header.msg_type} message: ${(err as Error).message}`);
    }
  }
}
