// storm-memory.test.ts: what a reset storm leaves behind (issue 24, "Memory
// under storms"). The server runs in a child process with --expose-gc
// (helpers/storm-child.cjs), so its memory is measured alone and after a GC:
// the quantities checked are references and sizes, not RSS (which depends
// on when the collector and the allocator give pages back).
// - A reply() body that backs up behind a peer that does not read is
//   written from the caller's array: the transport holds a reference, not a
//   copy (a storm of such peers would otherwise hold every body twice).
// - 3 storms of 100 clients that reset mid-1 MiB-response: the core's
//   linear memory (which never shrinks) grows by 1 MiB at most, its heap returns to
//   where it was, every connection is forgotten and every body handed to
//   reply() is released (collectable: its WeakRef is cleared by a GC).
// - What every server carries before any storm: importing the package and
//   serving HTTP does not load Node's fetch implementation (undici, about
//   6 MB of RSS); the first fetchHandler() does.
import { execFileSync, fork, type ChildProcess } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";

interface Sample {
  arrayBuffers: number; wasmMemory: number; coreHeap: number; conns: number; queued: number;
  liveBodies: number; freshBodies: number;
}

const MiB = 1024 * 1024;
let child: ChildProcess;
let port = 0;
let nextId = 1;

beforeAll(async () => {
  child = fork(path.join(__dirname, "helpers", "storm-child.cjs"), [], {
    execArgv: ["--expose-gc"], stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("the child did not start within 20 s")), 20_000);
    child.once("error", reject);
    child.once("message", (m: { port: number }) => { clearTimeout(t); resolve(m.port); });
  });
});

afterAll(async () => {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.send({ cmd: "stop" });
  const t = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(t);
});

function measure(): Promise<Sample> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { child.off("message", on); reject(new Error("the child did not answer within 10 s")); }, 10_000);
    const on = (m: Sample & { id: number }): void => {
      if (m.id !== id) return;
      clearTimeout(t);
      child.off("message", on);
      resolve(m);
    };
    child.on("message", on);
    child.send({ cmd: "measure", id });
  });
}

/** Sample until `cond` holds (deadline `ms`); returns the last sample. */
async function until(cond: (s: Sample) => boolean, ms: number, what: string): Promise<Sample> {
  const end = Date.now() + ms;
  let s = await measure();
  while (!cond(s)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: last sample ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 50));
    s = await measure();
  }
  return s;
}

/** GET `uri` and stop reading after the first bytes (or at once: `firstBytes` false). */
function stall(uri: string, firstBytes: boolean): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => {
      s.write(`GET ${uri} HTTP/1.1\r\nHost: x\r\n\r\n`);
      if (!firstBytes) { s.pause(); resolve(s); }
    });
    const t = setTimeout(() => { s.destroy(); reject(new Error(`no answer to ${uri} within 10 s`)); }, 10_000);
    if (firstBytes) s.once("data", () => { clearTimeout(t); s.pause(); resolve(s); });
    else s.once("connect", () => clearTimeout(t));
    s.on("error", (err) => { clearTimeout(t); reject(err); });
  });
}

test("a 16 MiB reply() body backed up behind a peer that does not read is held by reference, not copied", async () => {
  const base = await until((s) => s.conns === 0, 10_000, "no connection");
  const s = await stall("/shared", false);
  try {
    // The kernel takes a few MiB; the rest waits in the transport.
    const held = await until((x) => x.conns === 1 && x.queued > 4 * MiB, 10_000, "the body to back up");
    expect(held.arrayBuffers - base.arrayBuffers).toBeLessThan(2 * MiB); // a copy would be ~16 MiB
  } finally {
    s.resetAndDestroy();
  }
  await until((x) => x.conns === 0, 10_000, "the reset connection to be forgotten");
});

test("3 storms of 100 resets mid-1 MiB-response: no core growth, every body and connection released", async () => {
  // One response first, so the baselines below are about the storm, not about a first use.
  const warm = await stall("/fresh", true);
  warm.resetAndDestroy();
  const base = await until((s) => s.conns === 0 && s.liveBodies === 0, 10_000, "the warm-up to be released");
  for (let round = 0; round < 3; round++) {
    const socks = await Promise.all(Array.from({ length: 100 }, () => stall("/fresh", true)));
    for (const s of socks) s.resetAndDestroy();
  }
  const after = await until((s) => s.conns === 0 && s.liveBodies === 0, 15_000, "every reset connection and body to be released");
  expect(after.freshBodies - base.freshBodies).toBe(300);
  expect(after.queued).toBe(0);
  // Heads only went through linear memory (it never shrinks): at most 1 MiB of growth for 100 connections
  // at once, not 300 MiB of bodies; and the core's heap is back.
  expect(after.wasmMemory - base.wasmMemory).toBeLessThanOrEqual(MiB);
  expect(Math.abs(after.coreHeap - base.coreHeap)).toBeLessThan(64 * 1024);
  expect(after.arrayBuffers - base.arrayBuffers).toBeLessThan(4 * MiB); // spare write slabs at most
}, 60_000);

test("importing the package and serving HTTP leaves Node's fetch implementation unloaded; fetchHandler() loads it", () => {
  const script = `
    const undici = () => process.moduleLoadList.some((m) => m.includes("undici"));
    const t = require(${JSON.stringify(path.join(__dirname, "..", "dist", "index.cjs"))});
    t.init().then(() => {
      const mgr = new t.Manager((c, ev) => { if (ev === t.MG_EV_HTTP_MSG) c.reply(200, "ok"); });
      mgr.listen("http://127.0.0.1:0");
      const before = undici();
      t.fetchHandler(() => new Response("x"));
      mgr.close();
      console.log(JSON.stringify({ before, after: undici() }));
    });`;
  const out = execFileSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 20_000 });
  expect(JSON.parse(out.trim().split("\n").pop()!)).toEqual({ before: false, after: true });
});
