// node-network.test.ts: nodeNetwork()'s two transports, libuv TCP handles
// (the default) and node:net sockets. Every other Node suite runs over both
// (the jest projects "handle" and "socket"); this one checks the choice
// itself and that both report the same things the same way.
import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { constants as osConstants, tmpdir } from "node:os";
import * as path from "node:path";
import {
  defaultTransport, nodeNetwork, ListenError, MG_EV_CLOSE, MG_EV_CONNECT, MG_EV_ERROR,
  MG_EV_HTTP_MSG,
} from "tsmongoose";
import type { Connection, NodeTransport } from "tsmongoose";
import { backgroundPoll, exchange, makeManager, sleep, startServer, stopAllServers, waitFor, closedPort } from "./helpers/server";
import { RawClient } from "./helpers/raw-client";

const ROOT = path.join(__dirname, "..");
afterEach(stopAllServers);

const hello = (c: Connection, ev: number) => {
  if (ev === MG_EV_HTTP_MSG) c.reply(200, "hello");
};

describe("choosing the transport", () => {
  test("the Node entry defaults to libuv handles; TSMONGOOSE_TRANSPORT=socket picks node:net", () => {
    // In a plain child process (not jest's vm context), as users run it.
    const probe = `process.stdout.write(require(${JSON.stringify(path.join(ROOT, "dist", "index.cjs"))}).defaultTransport())`;
    const run = (env: Record<string, string | undefined>) =>
      execFileSync(process.execPath, ["-e", probe], { env: { ...process.env, ...env }, encoding: "utf8" });
    expect(run({ TSMONGOOSE_TRANSPORT: undefined })).toBe("handle");
    expect(run({ TSMONGOOSE_TRANSPORT: "socket" })).toBe("socket");
    expect(run({ TSMONGOOSE_TRANSPORT: "carrier-pigeon" })).toBe("handle"); // unknown values are ignored
  });

  test("this jest project runs on the transport it names", () => {
    expect(defaultTransport()).toBe(process.env.TSMONGOOSE_TRANSPORT === "socket" ? "socket" : "handle");
  });

  test("bad options are typed errors naming the value", () => {
    expect(() => nodeNetwork({ transport: "udp" as NodeTransport })).toThrow(TypeError);
    expect(() => nodeNetwork({ transport: "udp" as NodeTransport })).toThrow(/"udp"/);
    expect(() => nodeNetwork({ backlog: 0 })).toThrow(RangeError);
    expect(() => nodeNetwork({ backlog: 1.5 })).toThrow(/1\.5/);
    expect(() => nodeNetwork(null as never)).toThrow(TypeError);
    expect(nodeNetwork({ transport: "handle" }).name).toBe("node");
    expect(nodeNetwork({ transport: "socket" }).name).toBe("node");
  });

  test("without process.binding the default falls back to node:net; asking for handles is ERR_TRANSPORT_UNAVAILABLE", async () => {
    // A child process whose Node "lacks" the internal bindings (as a future Node might).
    const script = `
      process.binding = undefined;
      const m = require(${JSON.stringify(path.join(ROOT, "dist", "index.cjs"))});
      const out = { transport: m.defaultTransport() };
      try { m.nodeNetwork({ transport: "handle" }); } catch (e) { out.code = e.code; out.isMongooseError = e instanceof m.MongooseError; }
      m.init().then(async () => {
        const mgr = new m.Manager((c, ev) => { if (ev === m.MG_EV_HTTP_MSG) c.reply(200, "fallback"); });
        const l = mgr.listen("http://127.0.0.1:0");
        mgr.setAutoDrive(true);
        out.body = await (await fetch("http://127.0.0.1:" + l.localAddr.port + "/")).text();
        mgr.close();
        process.stdout.write(JSON.stringify(out));
      });`;
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ["-e", script], { env: { ...process.env, TSMONGOOSE_TRANSPORT: "" }, timeout: 20_000 },
        (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out)));
    });
    expect(JSON.parse(stdout)).toEqual({ transport: "socket", code: "ERR_TRANSPORT_UNAVAILABLE", isMongooseError: true,
      body: "fallback" });
  });
});

describe("large file bodies", () => {
  test("the handle transport reads them straight into its write buffer (sendWith), and they arrive whole", async () => {
    // The Node entry wraps each transport for datagrams: the wrapper must pass the fast path on.
    expect(typeof nodeNetwork({ transport: "handle" }).sendWith).toBe("function");
    const dir = mkdtempSync(path.join(tmpdir(), "tsmongoose-sendwith-"));
    const bytes = randomBytes(3 * 1024 * 1024 + 17); // several pump chunks, an odd tail
    writeFileSync(path.join(dir, "big.bin"), bytes);
    const srv = await startServer((c, ev, hm) => {
      if (ev === MG_EV_HTTP_MSG) c.serveDir(hm as never, dir);
    }, { managerOpts: { network: nodeNetwork({ transport: "handle" }) } });
    try {
      const res = await fetch(`http://127.0.0.1:${srv.port}/big.bin`);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    } finally {
      await srv.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each(["handle", "socket"] as const)("transport %s", (transport) => {
  const managerOpts = () => ({ network: nodeNetwork({ transport }) });

  test("serves HTTP on 127.0.0.1 and ::1 and knows both ends' addresses", async () => {
    for (const host of ["127.0.0.1", "::1"]) {
      const remotes: number[] = [];
      const srv = await startServer((c, ev) => {
        if (ev === MG_EV_HTTP_MSG) {
          remotes.push(c.remoteAddr.port);
          expect(c.localAddr.port).toBe(srv.port);
          expect(c.localAddr.family).toBe(host === "::1" ? "IPv6" : "IPv4");
        }
        hello(c, ev);
      }, { url: `http://${host.includes(":") ? `[${host}]` : host}:0`, managerOpts: managerOpts() });
      expect(srv.listener.localAddr).toEqual({ address: host, port: srv.port, family: host === "::1" ? "IPv6" : "IPv4" });
      const client = await RawClient.connect(srv.port, host);
      try {
        await client.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        await client.waitUntil(() => client.data.includes("hello"), 3000, "the reply");
        expect(remotes).toEqual([client.localPort]);
      } finally {
        client.destroy();
        await srv.stop();
      }
    }
  });

  test("a port in use is a ListenError with errno EADDRINUSE", async () => {
    const srv = await startServer(hello, { managerOpts: managerOpts() });
    const mgr = await makeManager(undefined, managerOpts());
    try {
      let err: unknown;
      try { mgr.listen(`http://127.0.0.1:${srv.port}`); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(ListenError);
      expect((err as ListenError).code).toBe("EADDRINUSE");
      expect((err as ListenError).errno).toBe(-osConstants.errno.EADDRINUSE); // Node's number (libuv: -errno on POSIX)
      expect((err as Error).message).toBe(
        `cannot listen on http://127.0.0.1:${srv.port}: listen EADDRINUSE: address already in use 127.0.0.1:${srv.port}`);
    } finally {
      mgr.close();
    }
  });

  test("a listener needs an IP address (or localhost): a host name is a TypeError naming it", async () => {
    const mgr = await makeManager(undefined, managerOpts());
    try {
      expect(() => mgr.listen("http://example.invalid:0")).toThrow(TypeError);
      expect(() => mgr.listen("http://example.invalid:0")).toThrow(/"example\.invalid"/);
      const l = mgr.listen("http://localhost:0");
      expect(l.localAddr.address).toBe("127.0.0.1");
    } finally {
      mgr.close();
    }
  });

  test("a refused connect is MG_EV_ERROR 'connect ECONNREFUSED 127.0.0.1:PORT', then MG_EV_CLOSE", async () => {
    const port = await closedPort();
    const evs: number[] = [];
    let message = "";
    const mgr = await makeManager(undefined, managerOpts());
    const loop = backgroundPoll(mgr);
    try {
      mgr.connect(`tcp://127.0.0.1:${port}`, {
        handler: (_c: Connection, ev: number, data: unknown) => {
          evs.push(ev);
          if (ev === MG_EV_ERROR) message = String(data);
        },
      });
      await waitFor(() => evs.includes(MG_EV_CLOSE), 3000, "MG_EV_CLOSE");
      expect(evs).not.toContain(MG_EV_CONNECT);
      expect(message).toContain(`connect ECONNREFUSED 127.0.0.1:${port}`);
    } finally {
      await loop.stop();
      mgr.close();
    }
  });

  test("a client connects by host name (localhost) and talks both ways", async () => {
    const peer = net.createServer((sock) => sock.on("data", (d) => sock.end(`echo:${d}`)));
    const port = await new Promise<number>((resolve) => {
      peer.listen(0, "127.0.0.1", () => resolve((peer.address() as net.AddressInfo).port));
    });
    const mgr = await makeManager(undefined, managerOpts());
    const loop = backgroundPoll(mgr);
    try {
      expect(await exchange(mgr, `tcp://localhost:${port}`, "ping")).toBe("echo:ping");
    } finally {
      await loop.stop();
      mgr.close();
      await new Promise<void>((r) => peer.close(() => r()));
    }
  });

  test("a peer that half-closes after its request still gets the answer, then our FIN", async () => {
    const srv = await startServer(hello, { managerOpts: managerOpts() });
    const client = await RawClient.connect(srv.port);
    try {
      await client.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      client.socket.end();
      await client.waitUntil(() => client.ended, 3000, "the server's FIN");
      expect(client.data.toString()).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nhello$/);
    } finally {
      client.destroy();
    }
  });

  test("a closing manager's sockets end with FIN after what was sent, not a reset", async () => {
    const srv = await startServer((c, ev) => {
      if (ev === MG_EV_HTTP_MSG) {
        c.reply(200, "x".repeat(200_000));
        c.drain(); // close once the reply is out
      }
    }, { managerOpts: managerOpts() });
    const client = await RawClient.connect(srv.port);
    try {
      await client.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      await client.waitUntil(() => client.ended, 5000, "the server's FIN");
      expect(client.error).toBeUndefined();
      expect(client.data.length).toBeGreaterThan(200_000);
    } finally {
      client.destroy();
    }
    await sleep(10);
  });
});
