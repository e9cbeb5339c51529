// mqtt-peers.ts: real MQTT peers for the tests: Debian's mosquitto broker
// (on a free loopback port, with a generated config), aedes (in-process, on
// node:net), and helpers around our client (wait for events with deadlines).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Manager } from "tsmongoose";
import { backgroundPoll, makeManager } from "./server";
import { requireTool } from "./tools";

const ROOT = join(__dirname, "..", "..");

/** Fail at once, naming the set-up step (scripts/tools.sh), when `tool` is missing. */
export function ensureTool(tool: "mosquitto" | "mosquitto_pub" | "mosquitto_sub"): void {
  requireTool(tool);
}

/** A free loopback TCP port (bound then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolve once 127.0.0.1:port accepts a connection; reject after `ms`. */
export async function waitForPort(port: number, ms = 10_000, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => { s.destroy(); resolve(true); });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    if (child && child.exitCode !== null) throw new Error(`broker exited with code ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A running mosquitto. */
export interface Mosquitto {
  port: number;
  url: string;
  log(): string;
  /** Send a signal (SIGSTOP freezes the broker: it stops answering, its sockets stay open). */
  signal(sig: NodeJS.Signals): void;
  stop(): Promise<void>;
}

/**
 * Start mosquitto -v on `at.port` (default: a free one; anonymous, no
 * persistence unless the config sets it) with its config in `at.dir`
 * (default: a temporary directory removed by stop()). With a port given
 * there is no retry on another one: the caller wants that one (an upstream
 * that goes away and comes back on the same port and persistence directory).
 */
export async function startMosquitto(extraConfig = "", at: { port?: number; dir?: string } = {}): Promise<Mosquitto> {
  ensureTool("mosquitto");
  const ownDir = at.dir === undefined;
  const dir = at.dir ?? mkdtempSync(join(tmpdir(), "tsmongoose-mosq-"));
  for (let attempt = 0; ; attempt++) {
    const port = at.port ?? (await freePort());
    const conf = join(dir, `mosquitto-${port}.conf`);
    const persistence = /^persistence /m.test(extraConfig) ? "" : "persistence false\n";
    writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\n${persistence}${extraConfig}\n`);
    const child = spawn(requireTool("mosquitto"), ["-c", conf, "-v"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => { out += d.toString(); });
    child.stderr!.on("data", (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    try {
      await waitForPort(port, 10_000, child);
    } catch (err) {
      child.kill("SIGKILL");
      await exited;
      if (at.port === undefined && attempt < 3) continue; // the port was taken meanwhile
      if (ownDir) rmSync(dir, { recursive: true, force: true });
      throw new Error(`mosquitto did not start: ${String(err)}\n${out}`);
    }
    let stopped: Promise<void> | undefined;
    return {
      port,
      url: `mqtt://127.0.0.1:${port}`,
      log: () => out,
      signal: (sig) => { child.kill(sig); },
      stop: () => (stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) { child.kill("SIGCONT"); child.kill("SIGTERM"); }
        await exited;
        if (ownDir) rmSync(dir, { recursive: true, force: true });
      })()),
    };
  }
}

/** A running aedes broker on node:net. */
export interface Aedes {
  port: number;
  url: string;
  stop(): Promise<void>;
}

/** Start aedes (tests/fixtures/aedes-broker.mjs) in a child process on a free loopback port. */
export async function startAedes(): Promise<Aedes> {
  const child = spawn(process.execPath, [join(ROOT, "tests", "fixtures", "aedes-broker.mjs")],
    { cwd: ROOT, env: { ...process.env, PORT: "0" }, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  child.stderr!.on("data", (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`aedes did not start in 10 s: ${out}`)), 10_000);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /aedes listening on (\d+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    void exited.then(() => { clearTimeout(timer); reject(new Error(`aedes exited: ${out}`)); });
  });
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Run a command (mosquitto_pub/sub) asynchronously; resolve with its output. */
export function runTool(cmd: string, args: string[], timeoutMs = 15_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout!.on("data", (d: Buffer) => { stdout += d.toString(); });
    child.stderr!.on("data", (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("exit", (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** Spawn a command and keep it running (mosquitto_sub); the caller kills it. */
export function spawnTool(cmd: string, args: string[]): { child: ChildProcess; out(): string; err(): string; exited: Promise<number | null> } {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "", err = "";
  child.stdout!.on("data", (d: Buffer) => { out += d.toString(); });
  child.stderr!.on("data", (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, out: () => out, err: () => err, exited };
}

/** Poll until `cond()` holds; reject with `what` after `ms`. */
export async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** What mqttTestBed() gives a suite: this test's Manager, its stops, and a mosquitto stopped with them. */
export interface MqttTestBed {
  readonly mgr: Manager;
  /** Run after each test, newest first. */
  readonly stops: (() => Promise<void>)[];
  mosquitto(extraConfig?: string): Promise<Mosquitto>;
}

/**
 * The set-up of the suites against mosquitto: a fresh Manager polled in the
 * background for each test. `stopsFirst` runs the stops while the Manager is
 * still up (a broker or bridge on it closes through it); otherwise the
 * Manager closes first.
 */
export function mqttTestBed(o: { stopsFirst: boolean }): MqttTestBed {
  let mgr: Manager | undefined;
  let loop: { stop(): Promise<void> } | undefined;
  const stops: (() => Promise<void>)[] = [];
  const runStops = async (): Promise<void> => { for (const s of stops.splice(0).reverse()) await s(); };
  // mosquitto comes from the set-up (scripts/tools.sh); missing, this fails at once.
  beforeAll(() => ensureTool("mosquitto"), 300_000);
  beforeEach(async () => {
    mgr = await makeManager();
    loop = backgroundPoll(mgr, 10);
  });
  afterEach(async () => {
    if (o.stopsFirst) await runStops();
    if (mgr && !mgr.closed) mgr.close();
    await loop?.stop();
    if (!o.stopsFirst) await runStops();
  });
  return {
    get mgr(): Manager {
      if (!mgr) throw new Error("mqttTestBed: no Manager outside a test");
      return mgr;
    },
    stops,
    mosquitto: async (extraConfig = "") => {
      const m = await startMosquitto(extraConfig);
      stops.push(() => m.stop());
      return m;
    },
  };
}
