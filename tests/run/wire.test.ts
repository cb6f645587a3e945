import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { DELIMITER, Session, WireError } from "../../jupyter/wire";

describe("run: wire protocol (HMAC-SHA256 signed multipart messages)", () => {
  it("lays out [ids, <IDS|MSG>, hmac, header, parent, metadata, content, buffers] with the spec's signature", () => {
    const session = new Session("secret-key");
    const msg = session.message("execute_request", { code: "1 + 1" }, { m: 1 });
    msg.identities = [Buffer.from("peer-1")];
    msg.buffers = [Buffer.from([1, 2, 3])];
    const frames = session.serialize(msg);
    assert.equal(frames.length, 8);
    assert.equal(frames[0].toString(), "peer-1");
    assert.equal(frames[1].toString(), DELIMITER);
    const header = JSON.parse(frames[3].toString());
    assert.equal(header.msg_type, "execute_request");
    assert.equal(header.version, "5.3");
    assert.equal(header.session, session.session);
    assert.deepEqual(JSON.parse(frames[4].toString()), {});
    assert.deepEqual(JSON.parse(frames[5].toString()), { m: 1 });
    assert.deepEqual(JSON.parse(frames[6].toString()), { code: "1 + 1" });
    // Independent computation: HMAC-SHA256 over the four JSON frames only (not the buffers).
    const expected = createHmac("sha256", "secret-key").update(frames[3]).update(frames[4]).update(frames[5]).update(frames[6]).digest("hex");
    assert.equal(frames[2].toString(), expected);
  });

  it("round-trips a message and keeps identities and buffers", () => {
    const a = new Session("k");
    const b = new Session("k");
    const msg = a.message("stream", { name: "stdout", text: "héllo\n" });
    msg.identities = [Buffer.from("x"), Buffer.from("y")];
    msg.buffers = [Buffer.from("raw")];
    const back = b.deserialize(a.serialize(msg));
    assert.deepEqual(back.identities.map(String), ["x", "y"]);
    assert.deepEqual(back.content, { name: "stdout", text: "héllo\n" });
    assert.equal(back.header.msg_id, msg.header.msg_id);
    assert.deepEqual(back.buffers.map(String), ["raw"]);
  });

  it("rejects a message whose content was altered, or that was signed with another key", () => {
    const a = new Session("k");
    const frames = a.serialize(a.message("execute_reply", { status: "ok" }));
    const tampered = [...frames];
    tampered[5] = Buffer.from(JSON.stringify({ status: "error" })); // the content frame (no routing ids here)
    assert.throws(
      () => new Session("k").deserialize(tampered),
      (e: unknown) => e instanceof WireError && e.reason === "bad-signature",
    );
    assert.throws(
      () => new Session("other").deserialize(frames),
      (e: unknown) => e instanceof WireError && e.reason === "bad-signature",
    );
  });

  it("rejects a replayed message (same signature twice), as jupyter_client does", () => {
    const a = new Session("k");
    const b = new Session("k");
    const frames = a.serialize(a.message("status", { execution_state: "idle" }));
    b.deserialize(frames);
    assert.throws(() => b.deserialize(frames), /duplicate signature/);
  });

  it("rejects frames without the delimiter or with too few parts", () => {
    const s = new Session("k");
    assert.throws(
      () => s.deserialize([Buffer.from("a"), Buffer.from("b")]),
      (e: unknown) => e instanceof WireError && e.reason === "no-delimiter",
    );
    assert.throws(
      () => s.deserialize([Buffer.from(DELIMITER), Buffer.from("sig"), Buffer.from("{}")]),
      (e: unknown) => e instanceof WireError && e.reason === "too-short",
    );
  });

  it("with an empty key sends an empty signature and accepts unsigned messages", () => {
    const s = new Session("");
    const frames = s.serialize(s.message("kernel_info_request", {}));
    assert.equal(frames[1].toString(), "");
    assert.equal(new Session("").deserialize(frames).header.msg_type, "kernel_info_request");
  });

  it("refuses signature schemes other than hmac-sha256", () => {
    assert.throws(() => new Session("k", "hmac-md5"), /unsupported signature_scheme/);
  });
});
