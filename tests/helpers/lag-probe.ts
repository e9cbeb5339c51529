// lag-probe.ts: how late the machine runs a separate process's timers. A
// latency bound checked in the test process cannot tell "our event loop was
// blocked" from "the machine gave nobody the CPU" (CI beside CPU hogs); a
// probe in another process sees only the second, so a bound can allow for it
// and still catch the first.
import { spawn, type ChildProcess } from "node:child_process";

const PROBE = `
let last = performance.now(), max = 0;
setInterval(() => {
  const now = performance.now();
  max = Math.max(max, now - last - 10);
  last = now;
}, 10);
setInterval(() => { process.stdout.write(Math.round(max) + "\\n"); max = 0; }, 50);
process.stdin.on("end", () => process.exit(0)).resume();
`;

/** A child process whose timer lateness (ms) the test reads. */
export class LagProbe {
  #child: ChildProcess;
  #max = 0;

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      for (const line of d.split("\n")) if (line) this.#max = Math.max(this.#max, Number(line));
    });
  }

  /** Start the probe; resolves once it has reported once. */
  static async start(): Promise<LagProbe> {
    const child = spawn(process.execPath, ["-e", PROBE], { stdio: ["pipe", "pipe", "inherit"] });
    const probe = new LagProbe(child);
    await new Promise<void>((resolve, reject) => {
      child.once("error", reject);
      child.stdout!.once("data", () => resolve());
    });
    return probe;
  }

  /** The largest lateness seen since the last reset, ms. */
  get maxMs(): number {
    return this.#max;
  }

  /** Forget what was seen so far. */
  reset(): void {
    this.#max = 0;
  }

  /** End the child (closing its stdin) and wait for it. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const exited = new Promise((r) => this.#child.once("exit", r));
    this.#child.stdin!.end();
    await exited;
  }
}
