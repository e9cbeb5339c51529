// fleet.ts: start a script as a process tree of its own (a cluster primary
// and its workers) in its own process group, read its output, wait for lines
// with a deadline, and kill the whole group after the test.
import { spawn, type ChildProcess } from "node:child_process";

export interface Proc {
  child: ChildProcess;
  out(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once `re` matches the output `count` times; rejects after `ms`. */
  waitFor(re: RegExp, count?: number, ms?: number): Promise<RegExpMatchArray[]>;
}

const running = new Set<ChildProcess>();

/** Kill every process group started by start() that is still running (call in afterEach). */
export function killAll(): void {
  for (const c of running) {
    if (c.exitCode === null && c.signalCode === null) {
      try { process.kill(-c.pid!, "SIGKILL"); } catch { c.kill("SIGKILL"); }
    }
  }
  running.clear();
}

export function start(script: string, env: Record<string, string>, cwd: string): Proc {
  const child = spawn(process.execPath, [script], { cwd, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  running.add(child);
  let out = "";
  const waiters = new Set<() => void>();
  const onData = (d: string): void => { out += d; for (const w of [...waiters]) w(); };
  child.stdout!.setEncoding("utf8").on("data", onData);
  child.stderr!.setEncoding("utf8").on("data", onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("exit", (code, signal) => resolve({ code, signal }));
  });
  const waitFor = (re: RegExp, count = 1, ms = 20_000): Promise<RegExpMatchArray[]> => new Promise((resolve, reject) => {
    const g = new RegExp(re.source, re.flags.includes("g") ? re.flags : re.flags + "g");
    const check = (): void => {
      const found = [...out.matchAll(g)];
      if (found.length < count) return;
      waiters.delete(check);
      clearTimeout(timer);
      resolve(found);
    };
    const timer = setTimeout(() => {
      waiters.delete(check);
      reject(new Error(`no ${count}x ${re} within ${ms} ms; output:\n${out}`));
    }, ms);
    waiters.add(check);
    check();
  });
  return { child, out: () => out, exited, waitFor };
}

/** Resolves once `cond()` holds (checked every 5 ms); rejects after `ms`. */
export async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
