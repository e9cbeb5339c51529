// read-area.test.ts: the libuv-handle transport reads sockets straight into
// the core's read area, a buffer in linear memory. When linear memory grows
// (here: a 24 MiB body the core holds whole), that memory may move, so every
// live handle is pointed at the area again. Bytes read afterwards, on the
// connections that were open and on new ones, must be the bytes sent.
import * as net from "node:net";
import { createHash, randomBytes } from "node:crypto";
import { init, Manager, MG_EV_HTTP_MSG, type HttpMessage } from "tsmongoose";

let memory: WebAssembly.Memory | undefined;

beforeAll(async () => {
  // The package does not expose its linear memory: catch the instance as init() creates it.
  const orig = WebAssembly.instantiate;
  WebAssembly.instantiate = (async (...args: Parameters<typeof orig>) => {
    const r = await (orig as (...a: unknown[]) => Promise<unknown>).apply(WebAssembly, args);
    const inst = r instanceof WebAssembly.Instance ? r : (r as { instance: WebAssembly.Instance }).instance;
    memory ??= inst.exports.memory as WebAssembly.Memory;
    return r;
  }) as typeof orig;
  try {
    await init();
  } finally {
    WebAssembly.instantiate = orig;
  }
});

/** One keep-alive exchange on `sock`: the status and body of the answer to `req`. */
function ask(sock: net.Socket, head: string, body?: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => done(new Error(`no answer to ${head.split("\r\n")[0]} within 20 s`)), 20_000);
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const headText = buf.subarray(0, end).toString("latin1");
      const len = Number(/\r\ncontent-length: *(\d+)/i.exec(headText)?.[1] ?? 0);
      if (buf.length < end + 4 + len) return;
      done(undefined, { status: Number(headText.split(" ")[1]), body: buf.subarray(end + 4, end + 4 + len).toString("latin1") });
    };
    const onEnd = (): void => done(new Error("connection closed before the answer"));
    function done(err?: Error, res?: { status: number; body: string }): void {
      clearTimeout(timer);
      sock.off("data", onData);
      sock.off("error", done);
      sock.off("end", onEnd);
      if (err) reject(err);
      else resolve(res!);
    }
    sock.on("data", onData);
    sock.on("error", done);
    sock.on("end", onEnd);
    sock.write(head);
    if (body) sock.write(body);
  });
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
}

const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
const post = (n: number): string => `POST /hash HTTP/1.1\r\nHost: x\r\nContent-Length: ${n}\r\n\r\n`;
const get = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;

test("reads stay intact on old and new connections after linear memory grows", async () => {
  const mgr = new Manager((c, ev, data) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    const hm = data as HttpMessage;
    if (hm.method === "POST") c.reply(200, sha256(hm.body));
    else c.reply(200, hm.uri.slice("/echo/".length));
  }, { limits: { maxBodySize: 32 << 20 } });
  const socks: net.Socket[] = [];
  try {
    mgr.setAutoDrive(true);
    const port = mgr.listen("http://127.0.0.1:0").localAddr.port;
    const a = await connect(port);
    socks.push(a);
    expect(await ask(a, get("/echo/a1"))).toEqual({ status: 200, body: "a1" });

    const before = memory!.buffer.byteLength;
    const big = randomBytes(24 << 20);
    const b = await connect(port);
    socks.push(b);
    expect(await ask(b, post(big.length), big)).toEqual({ status: 200, body: sha256(big) });
    expect(memory!.buffer.byteLength).toBeGreaterThan(before + (16 << 20)); // it did grow

    // The bystander, open across the growth, and connections made after it.
    expect(await ask(a, get("/echo/a2"))).toEqual({ status: 200, body: "a2" });
    const c = await connect(port);
    socks.push(c);
    const small = randomBytes(300_000);
    expect(await ask(c, post(small.length), small)).toEqual({ status: 200, body: sha256(small) });
    expect(await ask(b, get("/echo/b2"))).toEqual({ status: 200, body: "b2" });
    expect(await ask(a, get("/echo/a3"))).toEqual({ status: 200, body: "a3" });
  } finally {
    for (const s of socks) s.destroy();
    mgr.close();
  }
});
