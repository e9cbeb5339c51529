// proc.mjs: CPU time of a process from /proc/<pid>/stat (Linux), for the
// benches that report CPU per request and each process's CPU share.
import { existsSync, readFileSync } from "node:fs";

const TICK = 100; // USER_HZ: clock ticks per second in /proc on Linux

/** utime + stime of `pid` in seconds (`userOnly`: utime), or NaN where /proc is not readable. */
export function cpuSeconds(pid, userOnly = false) {
  const file = `/proc/${pid}/stat`;
  if (!existsSync(file)) return NaN;
  try {
    const text = readFileSync(file, "utf8");
    // Fields after the command name (which may hold spaces) start after ") ".
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + (userOnly ? 0 : Number(f[12]))) / TICK; // fields 14 and 15: utime, stime
  } catch {
    return NaN; // the process ended
  }
}

/** Sampler over several pids: start() then stop() -> { pid: CPU seconds used in between }. */
export function cpuSampler(pids) {
  let before = new Map();
  return {
    start() { before = new Map(pids.map((p) => [p, cpuSeconds(p)])); },
    stop() { return Object.fromEntries(pids.map((p) => [p, cpuSeconds(p) - before.get(p)])); },
  };
}

/** Fraction of all CPU time used over `ms` (other work, when the bench itself is idle meanwhile). */
export async function machineBusy(ms = 1000) {
  if (!existsSync("/proc/stat")) return 0;
  const sample = () => {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    return { idle: f[3] + (f[4] ?? 0), total: f.reduce((a, b) => a + b, 0) };
  };
  const a = sample();
  await new Promise((r) => setTimeout(r, ms));
  const b = sample();
  return b.total > a.total ? 1 - (b.idle - a.idle) / (b.total - a.total) : 0;
}
