// mqtt-common.mjs: what the MQTT bench files share: CPU pinning, starting
// and stopping broker processes, CPU time and RSS from /proc, free ports.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, "..", "..");
const env = process.env;
const canPin = () => cpus().length >= 2 && spawnSync("taskset", ["-V"], { stdio: "ignore" }).status === 0;
/** Brokers on CPU 0, loads on CPU 1 (BENCH_PIN=0: no pinning). */
export const PIN = env.BENCH_PIN === undefined || env.BENCH_PIN === "" ? canPin() : env.BENCH_PIN === "1";

/** [command, args] running `cmd` on `cpu` when pinning. */
export const pinned = (cpu, cmd, args) => (PIN ? ["taskset", ["-c", String(cpu), cmd, ...args]] : [cmd, args]);

/** Start a long-running process; resolve once `ready` matches its output (the match is returned). */
export function start(cpu, cmd, args, ready, extraEnv = {}) {
  const [c, a] = pinned(cpu, cmd, args);
  const child = spawn(c, a, { cwd: root, env: { ...env, ...extraEnv }, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`${cmd} did not start: ${out}`)); }, 15_000);
    const check = (d) => {
      if (out.length < 1e5) out += d.toString();
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout.off("data", check);
        child.stderr.off("data", check);
        child.stdout.resume(); // keep draining whatever it logs
        child.stderr.resume();
        child.removeAllListeners("exit");
        resolve({ child, match: m, stop: () => stop(child) });
      }
    };
    child.stdout.on("data", check);
    child.stderr.on("data", check);
    child.once("exit", (code) => { clearTimeout(timer); reject(new Error(`${cmd} exited (${code}): ${out}`)); });
  });
}

/** SIGTERM, then SIGKILL after 15 s; resolves when the process is gone. */
export function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.removeAllListeners("exit");
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 15_000).unref();
  });
}

/** CPU seconds (user + system, all threads) process `pid` has used, from /proc; NaN where there is none. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in USER_HZ
  } catch {
    return NaN;
  }
}

/** Resident set size of process `pid` in bytes, from /proc; NaN where there is none. */
export function rssBytes(pid) {
  try {
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "latin1"))[1]) * 1024;
  } catch {
    return NaN;
  }
}

/** A free TCP port on 127.0.0.1 (for brokers that need one in their config). */
export function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
