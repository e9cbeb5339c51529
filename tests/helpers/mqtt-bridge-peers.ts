// mqtt-bridge-peers.ts: what the bridge tests need beyond mqtt-peers.ts: a
// mosquitto that can be started again on the same port with the same
// persistence directory (the upstream that goes away and comes back).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureTool, freePort, runTool, until, waitForPort, type Mosquitto } from "./mqtt-peers";
import { requireTool } from "./tools";

export { ensureTool, freePort, runTool, until, waitForPort, type Mosquitto };

/** The absolute path of a Debian tool (mosquitto_pub...). */
export function requireToolPath(tool: string): string {
  return requireTool(tool);
}

/**
 * Start mosquitto -v on `at.port` (default: a free one) with its config in
 * `at.dir` (default: a temporary directory removed by stop()). With a port
 * given there is no retry on another port: the caller wants that one.
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
