// brokers.ts: the two brokers the suite compares, each on a free loopback
// port in its own process: mosquitto (Debian's /usr/sbin/mosquitto, with the
// settings Paho's suite expects) and ours (MqttBroker, set up by
// tests/mqtt-interop/our-broker.mjs). Ours refuses subscriptions to Paho's
// "nosubscribe" filters (mosquitto cannot, see below); both cap keep alive at 60 s.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { startMosquitto } from "../helpers/mqtt-peers";

// The CLI (scripts/mqtt-interop.mjs) runs a bundle from elsewhere and names the checkout.
const ROOT = process.env.TSMONGOOSE_ROOT ?? join(__dirname, "..", "..");

export interface RunningBroker {
  url: string;
  name: string;
  log(): string;
  stop(): Promise<void>;
  /** SIGKILL at once (a process exit handler cannot wait for stop()). */
  kill(): void;
}

/**
 * mosquitto: anonymous, no persistence, keep alive capped at 60 s (Paho's
 * server_keep_alive), 20 in flight. Its ACL file cannot refuse a
 * subscription (mosquitto 2.0 checks ACLs on delivery, SUBACK says granted),
 * so it runs without one and fails subscribe_failure, as in Paho's own runs.
 */
export async function startInteropMosquitto(): Promise<RunningBroker> {
  const m = await startMosquitto(["max_keepalive 60", "max_inflight_messages 20", "max_queued_messages 1000", "retain_available true"].join("\n"));
  return { url: m.url, name: "mosquitto", log: m.log, stop: () => m.stop(), kill: () => m.signal("SIGKILL") };
}

/** Our broker in a child process; resolves once it printed its port. */
export function startOurBroker(): Promise<RunningBroker> {
  const script = join(ROOT, "tests", "mqtt-interop", "our-broker.mjs");
  if (!existsSync(join(ROOT, "dist", "index.mjs"))) throw new Error("dist/ is missing: build first (node scripts/setup.mjs --build)");
  const child = spawn(process.execPath, [script], { cwd: ROOT, env: { ...process.env, PORT: "0" }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => { out += d.toString(); });
  child.stderr!.on("data", (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`our broker did not start in 15 s: ${out}`)); }, 15_000);
    const check = (): void => {
      const m = /running on mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        url: `mqtt://127.0.0.1:${m[1]}`, name: "ours", log: () => out,
        kill: () => { if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL"); },
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
          const t = setTimeout(() => child.kill("SIGKILL"), 5000);
          await exited;
          clearTimeout(t);
        },
      });
    };
    child.stdout!.on("data", check);
    void exited.then(() => { clearTimeout(timer); reject(new Error(`our broker exited early: ${out}`)); });
  });
}
