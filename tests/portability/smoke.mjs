// smoke.mjs: what the default transport, shutdown and cluster promise,
// checked under whichever Node runs this file (scripts/test.mjs runs it with
// each Node of scripts/runtimes.mjs). Over both transports: serve with
// keep-alive, a graceful shutdown that finishes an in-flight request, SIGTERM
// to a run() child, workers of runCluster() sharing one port, reusePort.
// Prints "ok - name" / "FAIL - name: why" and last "N passed, N failed".
import { spawn } from "node:child_process";
import net from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { defaultTransport, init, Manager, MG_EV_HTTP_MSG, nodeNetwork } from "tsmongoose";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const { bun, deno } = process.versions;
const runtime = bun ? `Bun ${bun}` : deno ? `Deno ${deno}` : `Node ${process.version}`;
// How to start a script with this runtime (Deno needs `run` and permissions).
const RUN = deno ? ["run", "-A"] : [];
const STEP_MS = 20_000;
let passed = 0, failed = 0;

async function check(name, fn) {
  let timer;
  try {
    await Promise.race([fn(), new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${STEP_MS} ms`)), STEP_MS); })]);
    passed++;
    console.log(`ok - ${name}`);
  } catch (err) {
    failed++;
    console.log(`FAIL - ${name}: ${err?.stack ?? err}`);
  } finally {
    clearTimeout(timer);
  }
}

function assert(cond, what) {
  if (!cond) throw new Error(what);
}

/**
 * A child's exit after our SIGTERM was clean. Deno's node:child_process
 * reports a child that got kill("SIGTERM") as killed by it even when the
 * child handled it and exited 0, so there the printed report is the proof.
 */
function exitedCleanly(st) {
  return st.code === 0 || (deno !== undefined && st.code === null && st.signal === "SIGTERM");
}

/** Write `reqs` on one connection; resolve with everything read until `n` responses arrived (or the peer closed). */
function exchange(port, reqs, n) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => s.write(reqs));
    let buf = "";
    s.setEncoding("latin1");
    s.on("data", (d) => {
      buf += d;
      if ((buf.match(/HTTP\/1\.1 /g) ?? []).length >= n && /\r\n\r\n[^]*$/.test(buf) && buf.endsWith("!")) { s.end(); resolve(buf); }
    });
    s.on("end", () => resolve(buf));
    s.on("error", reject);
  });
}

/** Start node `args`; resolve once stdout matched `re` `count` times. */
function start(args, env, re, count = 1) {
  const child = spawn(process.execPath, [...RUN, ...args], { cwd: root, env: { ...process.env, PORT: "0", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const ready = new Promise((resolve, reject) => {
    const onData = (d) => {
      out += d;
      const m = [...out.matchAll(new RegExp(re.source, "g"))];
      if (m.length >= count) resolve(m);
    };
    child.stdout.setEncoding("utf8").on("data", onData);
    child.stderr.setEncoding("utf8").on("data", (d) => { out += d; });
    void exited.then((s) => reject(new Error(`exited early (${JSON.stringify(s)}):\n${out}`)));
  });
  return { child, ready, exited, out: () => out };
}

await init();
console.log(`# ${runtime}, default transport ${defaultTransport()}`);

// Node has both transports. Bun and Deno have only the socket one: asking
// for "handle" there must fail at once with an error naming the way out.
const transports = ["socket"];
await check(`default transport: ${bun || deno ? "socket, the handle transport refused with a clear error" : "handle"}`, async () => {
  let err;
  try {
    nodeNetwork({ transport: "handle" });
  } catch (e) {
    err = e;
  }
  if (!bun && !deno) {
    assert(err === undefined, `Node refused the handle transport: ${err}`);
    assert(defaultTransport() === "handle", `default ${defaultTransport()}`);
    transports.unshift("handle");
    return;
  }
  assert(err?.code === "ERR_TRANSPORT_UNAVAILABLE" && /use transport "socket"/.test(err.message), `got ${err}`);
  assert(defaultTransport() === "socket", `default ${defaultTransport()}`);
});

for (const transport of transports) {
  process.env.TSMONGOOSE_TRANSPORT = transport;
  const env = { TSMONGOOSE_TRANSPORT: transport };

  await check(`${transport}: keep-alive, three requests on one connection`, async () => {
    const mgr = new Manager((c, ev, hm) => { if (ev === MG_EV_HTTP_MSG) c.reply(200, `hi ${hm.uri}!`); });
    try {
      const l = mgr.listen("http://127.0.0.1:0");
      mgr.setAutoDrive(true);
      const req = (p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`;
      const out = await exchange(l.localAddr.port, req("/a") + req("/b") + req("/c"), 3);
      assert((out.match(/HTTP\/1\.1 200 OK/g) ?? []).length === 3 && out.includes("hi /c!"), `unexpected answer: ${out}`);
    } finally {
      mgr.close();
    }
  });

  await check(`${transport}: shutdown() finishes the request in flight`, async () => {
    let delivered = false;
    const mgr = new Manager((c, ev) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      delivered = true;
      mgr.timerAdd(200, () => c.reply(200, "late!"));
    });
    const l = mgr.listen("http://127.0.0.1:0");
    mgr.setAutoDrive(true);
    const answer = exchange(l.localAddr.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 1);
    while (!delivered) await new Promise((r) => setTimeout(r, 5));
    const report = await mgr.shutdown({ timeoutMs: 5000 });
    const out = await answer;
    assert(out.includes("late!") && /connection: close/i.test(out), `answer: ${out}`);
    assert(report.completed === 1 && report.forced.length === 0, `report: ${JSON.stringify(report)}`);
  });

  await check(`${transport}: SIGTERM to a run() process exits 0 with a report`, async () => {
    const p = start([join(root, "tests", "fixtures", "run-server.mjs")], env, /listening on http:\/\/127\.0\.0\.1:(\d+)/);
    const [[, port]] = await p.ready;
    const out = await exchange(Number(port), "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 1);
    assert(out.includes("hello"), `answer: ${out}`);
    p.child.kill("SIGTERM");
    const st = await p.exited;
    assert(exitedCleanly(st) && /shutdown report: \{/.test(p.out()), `exit ${JSON.stringify(st)}:\n${p.out()}`);
  });

  await check(`${transport}: runCluster workers share one port`, async () => {
    const p = start([join(root, "build", "examples", "cluster.mjs")], { ...env, WORKERS: "2" },
      /worker (\d+) listening on http:\/\/127\.0\.0\.1:(\d+)/, 2);
    try {
      const m = await p.ready;
      assert(m[0][2] === m[1][2], `ports differ: ${m[0][2]} ${m[1][2]}`);
      const pids = new Set();
      for (let i = 0; i < 8; i++) {
        const out = await exchange(Number(m[0][2]), "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 1);
        pids.add(/worker (\d+)/.exec(out)?.[1]);
      }
      assert(pids.size === 2, `answered by ${[...pids].join(", ")}`);
      p.child.kill("SIGTERM");
      const st = await p.exited;
      assert(exitedCleanly(st) && /cluster report: /.test(p.out()), `exit ${JSON.stringify(st)}:\n${p.out()}`);
    } finally {
      p.child.kill("SIGKILL");
    }
  });

  await check(`${transport}: reusePort shares a port where Node supports it, else ERR_REUSEPORT_UNSUPPORTED`, async () => {
    const [maj, min] = process.versions.node.split(".").map(Number);
    const supported = maj > 23 || (maj === 23 && min >= 1) || (maj === 22 && min >= 12);
    const a = new Manager(), b = new Manager();
    try {
      if (!supported) {
        let code;
        try { a.listen("http://127.0.0.1:0", { reusePort: true }); } catch (e) { code = e.code; }
        assert(code === "ERR_REUSEPORT_UNSUPPORTED", `got ${code}`);
        return;
      }
      const { port } = await a.listen("http://127.0.0.1:0", { reusePort: true }).listening();
      const got = await b.listen(`http://127.0.0.1:${port}`, { reusePort: true }).listening();
      assert(got.port === port, `second bind got ${got.port}`);
    } finally {
      a.close();
      b.close();
    }
  });
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
