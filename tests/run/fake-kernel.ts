/**
 * A minimal Jupyter kernel for tests that need control over timing tslab does not give:
 * FAKE_IOPUB_DELAY_MS binds the iopub socket late, so that everything published before
 * then is lost (an exaggerated slow joiner). It answers kernel_info_request and
 * execute_request (printing "fake: <code>" on stdout), and echoes heartbeats.
 *
 * Run as: node fake-kernel.js <connection_file>
 */
import { readFileSync } from "node:fs";
import * as zmq from "zeromq";
import { ConnectionInfo, endpoint } from "../../jupyter/connection";
import { JupyterMessage, Session } from "../../jupyter/wire";

async function main(): Promise<void> {
  const info = JSON.parse(readFileSync(process.argv[2], "utf8")) as ConnectionInfo;
  const session = new Session(info.key);
  const shell = new zmq.Router({ linger: 0 });
  const control = new zmq.Router({ linger: 0 });
  const hb = new zmq.Reply({ linger: 0 });
  const iopub = new zmq.Publisher({ linger: 0 });
  await Promise.all([shell.bind(endpoint(info, "shell")), control.bind(endpoint(info, "control")), hb.bind(endpoint(info, "hb"))]);
  const delay = Number(process.env.FAKE_IOPUB_DELAY_MS ?? 0);
  let iopubBound = false;
  setTimeout(() => {
    void iopub.bind(endpoint(info, "iopub")).then(() => (iopubBound = true));
  }, delay);
  let count = 0;
  let iopubQueue = Promise.resolve();

  const reply = (parent: JupyterMessage, msgType: string, content: object): JupyterMessage<object> => {
    const msg = session.message(msgType, content);
    msg.parent_header = parent.header;
    msg.identities = parent.identities;
    return msg;
  };
  const publish = (parent: JupyterMessage, msgType: string, content: object) => {
    if (!iopubBound) return; // lost, as on a PUB socket nobody has joined yet
    const msg = reply(parent, msgType, content);
    msg.identities = [];
    iopubQueue = iopubQueue.then(() => iopub.send(session.serialize(msg))).catch(() => undefined);
  };

  void (async () => {
    for await (const frames of hb) await hb.send(frames);
  })();

  const serve = async (sock: zmq.Router) => {
    let sendQueue = Promise.resolve();
    const send = (msg: JupyterMessage<object>) => {
      sendQueue = sendQueue.then(() => sock.send(session.serialize(msg))).catch(() => undefined);
    };
    for await (const frames of sock) {
      const msg = session.deserialize(frames);
      publish(msg, "status", { execution_state: "busy" });
      switch (msg.header.msg_type) {
        case "kernel_info_request":
          send(reply(msg, "kernel_info_reply", { status: "ok", protocol_version: "5.3", implementation: "fake", language_info: { name: "fake" } }));
          break;
        case "execute_request":
          count++;
          publish(msg, "execute_input", { code: msg.content.code, execution_count: count });
          publish(msg, "stream", { name: "stdout", text: `fake: ${String(msg.content.code)}\n` });
          send(reply(msg, "execute_reply", { status: "ok", execution_count: count, user_expressions: {} }));
          break;
        case "shutdown_request":
          send(reply(msg, "shutdown_reply", { status: "ok", restart: false }));
          publish(msg, "status", { execution_state: "idle" });
          setTimeout(() => process.exit(0), 20);
          continue;
      }
      publish(msg, "status", { execution_state: "idle" });
    }
  };
  void serve(shell);
  void serve(control);
}

void main();
