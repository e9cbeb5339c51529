// api-surface.test.ts: the public names of API.md exist with the right
// types and values; both bundles (CJS via require, ESM via import) work in a
// child node process, including the seed program stopped by SIGINT.
import { spawn } from "node:child_process";
import { join } from "node:path";
import * as api from "tsmongoose";
import { MG_EV_ACCEPT, MG_EV_HTTP_MSG, MG_EV_ERROR, MG_EV_CLOSE, eventName, Manager, ConnectionClosedError } from "tsmongoose";
import type { Connection } from "tsmongoose";
import { makeManager, startServer, stopAllServers, waitFor } from "./helpers/server";
import { RawClient, getReq } from "./helpers/raw-client";

const ROOT = join(__dirname, "..");

afterEach(() => stopAllServers());

const EVENTS = [
  "MG_EV_ERROR", "MG_EV_OPEN", "MG_EV_POLL", "MG_EV_RESOLVE", "MG_EV_CONNECT",
  "MG_EV_ACCEPT", "MG_EV_TLS_HS", "MG_EV_READ", "MG_EV_WRITE", "MG_EV_CLOSE",
  "MG_EV_HTTP_HDRS", "MG_EV_HTTP_MSG", "MG_EV_WS_OPEN", "MG_EV_WS_MSG", "MG_EV_WS_CTL",
  "MG_EV_MQTT_CMD", "MG_EV_MQTT_MSG", "MG_EV_MQTT_OPEN", "MG_EV_SNTP_TIME",
  "MG_EV_WAKEUP", "MG_EV_USER",
];

const exported = api as unknown as Record<string, unknown>;

describe("constants", () => {
  test("MG_EV_* are numbered 0..20 in API.md order, and eventName() names them", () => {
    EVENTS.forEach((name, i) => {
      expect({ name, value: exported[name] }).toEqual({ name, value: i });
      expect(eventName(i)).toBe(name);
    });
  });

  test("eventName: user events above MG_EV_USER get a name; other numbers are named unknown (the reference does not raise)", () => {
    expect(typeof eventName(api.MG_EV_USER + 3)).toBe("string");
    expect(eventName(api.MG_EV_USER + 3)).toMatch(/USER/);
    expect(eventName(-1)).toBe("MG_EV_UNKNOWN(-1)");
    expect(eventName(1.5)).toBe("MG_EV_UNKNOWN(1.5)");
    expect(eventName(Number.NaN)).toBe("MG_EV_UNKNOWN(NaN)");
    expect(() => eventName("1" as never)).toThrow(TypeError);
  });

  test("WEBSOCKET_OP_* carry the RFC 6455 opcodes; MG_LL_* the log levels 0..4", () => {
    expect(exported.WEBSOCKET_OP_TEXT).toBe(1);
    expect(exported.WEBSOCKET_OP_BINARY).toBe(2);
    expect(exported.WEBSOCKET_OP_PING).toBe(9);
    expect(exported.WEBSOCKET_OP_PONG).toBe(10);
    ["MG_LL_NONE", "MG_LL_ERROR", "MG_LL_INFO", "MG_LL_DEBUG", "MG_LL_VERBOSE"]
      .forEach((name, i) => expect({ name, value: exported[name] }).toEqual({ name, value: i }));
  });
});

describe("Manager", () => {
  test("exports: Manager, init, eventName, ConnectionClosedError (a MongooseError-style Error with code)", () => {
    expect(typeof Manager).toBe("function");
    expect(typeof api.init).toBe("function");
    expect(typeof Manager.create).toBe("function");
    const e = new ConnectionClosedError(1, "send");
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe("ERR_CONNECTION_CLOSED");
  });

  test("members of API.md with the right types", async () => {
    const mgr = await makeManager(() => undefined);
    try {
      for (const name of ["listen", "connect", "poll", "close", "timerAdd"] as const) {
        expect({ name, type: typeof mgr[name] }).toEqual({ name, type: "function" });
      }
      expect(typeof mgr[Symbol.dispose]).toBe("function");
      expect(Array.isArray(mgr.connections)).toBe(true);
      expect(mgr.connections).toHaveLength(0);
      const p = mgr.poll(0);
      expect(p).toBeInstanceOf(Promise);
      expect(typeof (await p)).toBe("number");
      const t = mgr.timerAdd(1000, () => undefined);
      expect(typeof t.cancel).toBe("function");
      expect(t.active).toBe(true);
      t.cancel();
    } finally {
      mgr.close();
    }
  });

  test("members that later issues fill in exist already (run, shutdown, wakeup, wakeupHandle, onShutdown)", async () => {
    const mgr = await makeManager();
    try {
      for (const name of ["run", "shutdown", "wakeup", "wakeupHandle", "onShutdown"]) {
        expect({ name, type: typeof (mgr as unknown as Record<string, unknown>)[name] }).toEqual({ name, type: "function" });
      }
    } finally {
      mgr.close();
    }
  });

  test("Manager.create() awaits the core and returns a working Manager", async () => {
    const mgr = await Manager.create((c: Connection, ev: number) => { if (ev === MG_EV_HTTP_MSG) c.reply(200, "created"); });
    try {
      expect(mgr).toBeInstanceOf(Manager);
    } finally {
      mgr.close();
    }
  });

  test("close() is idempotent; [Symbol.dispose]() closes; listen after close is refused", async () => {
    const mgr = await makeManager();
    const l = mgr.listen("http://127.0.0.1:0");
    const port = l.localAddr!.port;
    mgr[Symbol.dispose]();
    expect(() => mgr.close()).not.toThrow();
    expect(mgr.connections).toHaveLength(0);
    expect(() => mgr.listen("http://127.0.0.1:0")).toThrow();
    // The port is free again.
    const again = await makeManager();
    try {
      expect(again.listen(`http://127.0.0.1:${port}`).localAddr!.port).toBe(port);
    } finally {
      again.close();
    }
  });

  test("bad arguments are typed errors naming the value", async () => {
    const mgr = await makeManager();
    try {
      expect(() => mgr.listen("nonsense")).toThrow(TypeError);
      expect(() => mgr.listen(8000 as unknown as string)).toThrow(TypeError);
      expect(() => mgr.listen("gopher://127.0.0.1:0")).toThrow(/gopher/);
      expect(() => new Manager("not a function" as never)).toThrow(TypeError);
      expect(() => new Manager(undefined, { limits: { maxBodySize: -1 } } as never)).toThrow(RangeError);
      expect(() => new Manager(undefined, { limits: { noSuchLimit: 1 } } as never)).toThrow(/noSuchLimit/);
    } finally {
      mgr.close();
    }
  });

  test("listening on a port in use throws (code ERR_LISTEN / EADDRINUSE)", async () => {
    const srv = await startServer(() => undefined);
    const mgr = await makeManager();
    try {
      let err: unknown;
      try { mgr.listen(`http://127.0.0.1:${srv.port}`); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(Error);
      expect(String((err as Error).message) + String((err as { errno?: string }).errno)).toMatch(/EADDRINUSE/);
    } finally {
      mgr.close();
    }
  });
});

describe("Connection", () => {
  test("properties of a listener and of an accepted connection", async () => {
    let accepted: Connection | undefined;
    const snap: Record<string, unknown> = {};
    const srv = await startServer((c, ev) => {
      if (ev === MG_EV_ACCEPT) accepted = c;
      if (ev !== MG_EV_HTTP_MSG) return;
      for (const k of ["id", "isListening", "isClient", "isAccepted", "isTls", "isUdp", "isWebsocket", "isReadable",
        "isWritable", "isFull", "isDraining", "isClosing", "recvLen", "sendLen", "recvSize", "sendSize"]) {
        snap[k] = (c as unknown as Record<string, unknown>)[k];
      }
      snap.local = c.localAddr;
      snap.remote = c.remoteAddr;
      c.reply(200, "ok");
    });
    const l = srv.listener;
    expect(typeof l.id).toBe("number");
    expect(l.isListening).toBe(true);
    expect(l.isAccepted).toBe(false);
    expect(l.isClient).toBe(false);
    expect(l.localAddr).toEqual({ address: "127.0.0.1", port: srv.port, family: "IPv4" });
    const client = await RawClient.connect(srv.port);
    try {
      await client.write(getReq("/"));
      await client.finalResponses(1);
    } finally {
      client.destroy();
    }
    expect(accepted).toBeDefined();
    expect(snap).toMatchObject({
      isListening: false, isClient: false, isAccepted: true, isTls: false, isUdp: false, isWebsocket: false,
      isFull: false, isDraining: false, isClosing: false,
    });
    expect(snap.id).toBe(accepted!.id);
    expect(snap.id).not.toBe(l.id);
    for (const k of ["isReadable", "isWritable"]) expect(typeof snap[k]).toBe("boolean");
    expect(snap.isWritable).toBe(true);
    for (const k of ["recvLen", "sendLen", "recvSize", "sendSize"]) {
      expect(typeof snap[k]).toBe("number");
      expect(snap[k] as number).toBeGreaterThanOrEqual(0);
    }
    expect(snap.local).toEqual({ address: "127.0.0.1", port: srv.port, family: "IPv4" });
    expect(snap.remote).toEqual({ address: "127.0.0.1", port: client.localPort, family: "IPv4" });
    for (const m of ["send", "reply", "replyJson", "httpChunk", "httpSse", "drain", "close", "error",
      "recvData", "sendData", "setHandler"]) {
      expect({ m, type: typeof (accepted as unknown as Record<string, unknown>)[m] }).toEqual({ m, type: "function" });
    }
  });

  test("error(message) fires MG_EV_ERROR with the message, then MG_EV_CLOSE", async () => {
    const evs: [number, unknown][] = [];
    const srv = await startServer((c, ev, d) => {
      if (ev === MG_EV_ERROR || ev === MG_EV_CLOSE) evs.push([ev, d]);
      if (ev === MG_EV_HTTP_MSG) c.error("handler gave up");
    });
    const client = await RawClient.connect(srv.port);
    try {
      await client.write(getReq("/"));
      await client.waitEnd(3000);
    } finally {
      client.destroy();
    }
    await waitFor(() => evs.some(([e]) => e === MG_EV_CLOSE), 2000, "close");
    expect(evs.map(([e]) => e)).toEqual([MG_EV_ERROR, MG_EV_CLOSE]);
    expect(String(evs[0][1])).toBe("handler gave up");
    expect((evs[0][1] as Error).message).toBe("handler gave up");
  });

  test("reply() argument checks: bad status is a RangeError, header injection a TypeError", async () => {
    const errors: string[] = [];
    const srv = await startServer((c, ev) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      for (const fn of [
        () => c.reply(42, "x"),
        () => c.reply(200, "x", { "X-Bad": "a\r\nInjected: 1" }),
        () => c.reply(200, "x", { "Bad Name": "v" }),
      ]) {
        try { fn(); errors.push("no error"); } catch (e) { errors.push((e as Error).constructor.name); }
      }
      c.reply(200, "still fine");
    });
    const client = await RawClient.connect(srv.port);
    try {
      await client.write(getReq("/"));
      const [res] = await client.finalResponses(1);
      expect(res.body.toString()).toBe("still fine");
      expect(res.headers["injected"]).toBeUndefined();
    } finally {
      client.destroy();
    }
    expect(errors).toEqual(["RangeError", "TypeError", "TypeError"]);
  });

  test("reply() with raw header strings: a block given again answers as the first time, a bad one throws every time", async () => {
    const errors: string[] = [];
    const blocks = ["X-A: 1\r\n", "Content-Type: text/html\r\n", "X-A: 1\r\n", "X-B: 2\r\n"];
    let n = 0;
    const srv = await startServer((c, ev) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      for (let k = 0; k < 2; k++) {
        try { c.reply(200, "x", "X-Bad: 1\r\nno colon here\r\n"); errors.push("no error"); } catch (e) { errors.push((e as Error).constructor.name); }
      }
      c.reply(200, `r${n}`, blocks[n++]);
    });
    const client = await RawClient.connect(srv.port);
    try {
      for (let k = 0; k < blocks.length; k++) await client.write(getReq("/"));
      const res = await client.finalResponses(blocks.length);
      expect(res.map((r) => r.body.toString())).toEqual(["r0", "r1", "r2", "r3"]);
      expect(res.map((r) => r.headers["x-a"])).toEqual(["1", undefined, "1", undefined]);
      expect(res[3].headers["x-b"]).toBe("2");
      expect(res.map((r) => r.headers["content-type"])).toEqual(
        ["text/plain; charset=utf-8", "text/html", "text/plain; charset=utf-8", "text/plain; charset=utf-8"]);
      expect(res.every((r) => r.headers["x-bad"] === undefined)).toBe(true);
    } finally {
      client.destroy();
    }
    expect(errors).toEqual(Array(2 * blocks.length).fill("TypeError"));
  });
});

/** Run `node` with `args` in the repo root; resolves with exit code and output. */
function node(args: string[], opts: { input?: string; onStdout?: (s: string, kill: (sig: NodeJS.Signals) => void) => void; timeoutMs?: number } = {}) {
  return new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string; ms: number }>((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 15_000);
    child.stdout.on("data", (d) => { stdout += d; opts.onStdout?.(stdout, (sig) => child.kill(sig)); });
    child.stderr.on("data", (d) => { stderr += d; });
    child.on("close", (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 }); });
    child.stdin.end(opts.input ?? "");
  });
}

const SERVE_ONE = `
  await init();
  const mgr = new Manager((conn, ev, hm) => { if (ev === MG_EV_HTTP_MSG) conn.reply(200, "child " + hm.uri); });
  const port = mgr.listen("http://127.0.0.1:0").localAddr.port;
  let answer;
  fetch("http://127.0.0.1:" + port + "/x").then((r) => r.text()).then((t) => { answer = t; }, (e) => { answer = String(e); });
  for (let i = 0; i < 500 && answer === undefined; i++) await mgr.poll(10);
  mgr.close();
  console.log(answer);`;

describe("both bundles in a child process", () => {
  test("require('tsmongoose') loads dist/index.cjs and serves", async () => {
    const r = await node(["-e", `
      const { init, Manager, MG_EV_HTTP_MSG } = require("tsmongoose");
      console.log(require.resolve("tsmongoose"));
      (async () => { ${SERVE_ONE} })().catch((e) => { console.error(e); process.exit(1); });`]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const [resolved, answer] = r.stdout.trim().split("\n");
    expect(resolved).toBe(join(ROOT, "dist", "index.cjs"));
    expect(answer).toBe("child /x");
  });

  test("import() of dist/index.mjs (and of 'tsmongoose') serves", async () => {
    const r = await node(["--input-type=module", "-e", `
      const m = await import(${JSON.stringify(join(ROOT, "dist", "index.mjs"))});
      const byName = await import("tsmongoose");
      if (byName.Manager !== m.Manager) throw new Error("two module instances");
      const { init, Manager, MG_EV_HTTP_MSG } = m;
      ${SERVE_ONE}`]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe("child /x");
  });

  test("the issue's seed program runs as written (ESM) and SIGINT ends it cleanly", async () => {
    const program = `
import { Manager, MG_EV_HTTP_MSG, MG_EV_ACCEPT, MG_EV_CLOSE } from "tsmongoose";
const mgr = new Manager((conn, ev, msg) => {
  if (ev === MG_EV_HTTP_MSG) { conn.reply(200, "Hello, World!"); }
});
const l = mgr.listen("http://127.0.0.1:0");
console.log(l.localAddr.port);
const t = mgr.timerAdd(1000, () => console.log("tick"), { repeat: true });
let stop = false; process.on("SIGINT", () => { stop = true; });
while (!stop) await mgr.poll(100);
t.cancel(); mgr.close();
console.log("stopped");
void MG_EV_ACCEPT; void MG_EV_CLOSE;`;
    let body = "";
    let asked = false;
    const r = await node(["--input-type=module", "-e", program], {
      onStdout: (out, kill) => {
        const m = /^(\d+)\n/.exec(out);
        if (!m || asked) return;
        asked = true;
        fetch(`http://127.0.0.1:${m[1]}/`).then((res) => res.text()).then((t) => { body = t; }, (e) => { body = String(e); })
          .finally(() => kill("SIGINT"));
      },
    });
    expect(body).toBe("Hello, World!");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n").pop()).toBe("stopped");
    expect(r.ms).toBeLessThan(5000);
  });
});
