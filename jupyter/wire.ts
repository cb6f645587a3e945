/**
 * The Jupyter wire protocol (messaging spec 5.x): turning a message into ZeroMQ frames and back.
 *
 *   [routing ids..., "<IDS|MSG>", signature, header, parent_header, metadata, content, buffers...]
 *
 * The signature is the hex HMAC of the four JSON frames (header, parent_header, metadata,
 * content) under the connection file's key; buffers are not signed. An empty key means
 * "no signing" (the signature frame is empty), as in jupyter_client.
 */
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";

export const DELIMITER = "<IDS|MSG>";
const DELIMITER_BYTES = Buffer.from(DELIMITER);
export const PROTOCOL_VERSION = "5.3";

export interface MessageHeader {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  date: string;
  version: string;
  [extra: string]: unknown;
}

export interface JupyterMessage<C = Record<string, unknown>> {
  identities: Buffer[];
  header: MessageHeader;
  /** The header of the request this message answers, or `{}`. */
  parent_header: Partial<MessageHeader>;
  metadata: Record<string, unknown>;
  content: C;
  buffers: Buffer[];
}

export class WireError extends Error {
  constructor(
    readonly reason: "no-delimiter" | "too-short" | "bad-json" | "bad-signature",
    message: string,
  ) {
    super(message);
    this.name = "WireError";
  }
}

/** Signs and verifies messages for one session (one client talking to one kernel). */
export class Session {
  readonly session = randomUUID();
  readonly username: string;
  private readonly key: Buffer;
  /** Signatures already accepted, to refuse replayed messages as jupyter_client does. */
  private readonly seen = new Set<string>();
  private readonly seenOrder: string[] = [];
  private readonly historySize: number;

  constructor(
    key: string,
    readonly signatureScheme = "hmac-sha256",
    options: { username?: string; historySize?: number } = {},
  ) {
    if (signatureScheme !== "hmac-sha256") {
      throw new Error(`unsupported signature_scheme ${JSON.stringify(signatureScheme)}: only hmac-sha256 is implemented`);
    }
    this.key = Buffer.from(key, "utf8");
    this.username = options.username ?? "jupyter";
    this.historySize = options.historySize ?? 4096;
  }

  /** The hex HMAC-SHA256 of the given frames, or "" when the key is empty. */
  sign(frames: (Buffer | string)[]): string {
    if (this.key.length === 0) return "";
    const hmac = createHmac("sha256", this.key);
    for (const frame of frames) hmac.update(frame);
    return hmac.digest("hex");
  }

  header(msgType: string): MessageHeader {
    return {
      msg_id: randomUUID(),
      msg_type: msgType,
      session: this.session,
      username: this.username,
      date: new Date().toISOString(),
      version: PROTOCOL_VERSION,
    };
  }

  /** A new request message with a fresh header. */
  message<C extends object>(msgType: string, content: C, metadata: Record<string, unknown> = {}): JupyterMessage<C> {
    return { identities: [], header: this.header(msgType), parent_header: {}, metadata, content, buffers: [] };
  }

  /**
   * A message answering or caused by `parent`: a reply on the socket the request came from
   * (same routing identities), or, with `topic`, an iopub broadcast whose one routing frame is
   * the topic, as the messaging spec asks of IOPub.
   */
  child<C extends object>(
    parent: JupyterMessage,
    msgType: string,
    content: C,
    options: { topic?: string; metadata?: Record<string, unknown> } = {},
  ): JupyterMessage<C> {
    return {
      identities: options.topic !== undefined ? [Buffer.from(options.topic)] : parent.identities,
      header: this.header(msgType),
      parent_header: parent.header,
      metadata: options.metadata ?? {},
      content,
      buffers: [],
    };
  }

  /** The frames to send for a message, signature included. */
  serialize(msg: JupyterMessage<object>): Buffer[] {
    const body = [msg.header, msg.parent_header, msg.metadata, msg.content].map((part) => Buffer.from(JSON.stringify(part), "utf8"));
    return [...msg.identities, DELIMITER_BYTES, Buffer.from(this.sign(body), "ascii"), ...body, ...msg.buffers];
  }

  /**
   * Parse received frames; throws WireError when the frames are malformed or the signature
   * does not match (or repeats one already seen).
   */
  deserialize(frames: Buffer[]): JupyterMessage {
    const at = frames.findIndex((f) => f.equals(DELIMITER_BYTES));
    if (at < 0) throw new WireError("no-delimiter", "message has no <IDS|MSG> delimiter");
    if (frames.length < at + 6) throw new WireError("too-short", `message has ${frames.length - at - 1} frames after the delimiter, need 5`);
    const signature = frames[at + 1].toString("ascii");
    const body = frames.slice(at + 2, at + 6);
    if (this.key.length > 0) {
      const expected = Buffer.from(this.sign(body), "ascii");
      const got = Buffer.from(signature, "ascii");
      if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
        throw new WireError("bad-signature", "message signature does not match the connection key");
      }
      if (this.seen.has(signature)) throw new WireError("bad-signature", "duplicate signature (replayed message)");
      this.remember(signature);
    }
    let parts: unknown[];
    try {
      parts = body.map((b) => JSON.parse(b.toString("utf8")) as unknown);
    } catch (err) {
      throw new WireError("bad-json", `message frame is not JSON: ${(err as Error).message}`);
    }
    const [header, parent, metadata, content] = parts as [MessageHeader, Partial<MessageHeader>, Record<string, unknown>, Record<string, unknown>];
    return {
      identities: frames.slice(0, at),
      header,
      parent_header: parent ?? {},
      metadata: metadata ?? {},
      content: content ?? {},
      buffers: frames.slice(at + 6),
    };
  }

  private remember(signature: string): void {
    this.seen.add(signature);
    this.seenOrder.push(signature);
    if (this.seenOrder.length > this.historySize) this.seen.delete(this.seenOrder.shift()!);
  }
}
