// chromium.ts: finding (or installing) the Chromium the browser tests drive,
// and the flags they launch it with. Shared by browser.test.ts and
// bundlers.test.ts.
import { spawnSync } from "node:child_process";
import { join } from "node:path";

/** Flags for a quiet, sandbox-less headless Chromium (containers run as root). */
export const CHROMIUM_ARGS = [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

/** Outcome of scripts/ensure-chromium.sh. */
export interface ChromiumLookup {
  /** The executable, when there is one. */
  path?: string;
  /** Why there is none (the script's stderr). */
  reason?: string;
  /** Exit status: 0 found, 1 cannot be installed here (not root / no apt-get), else install failed. */
  status: number | null;
}

let cached: ChromiumLookup | undefined;

/** Runs scripts/ensure-chromium.sh once per test file (installs with apt-get when missing and root). */
export function ensureChromium(): ChromiumLookup {
  if (cached) return cached;
  const script = join(__dirname, "..", "..", "scripts", "ensure-chromium.sh");
  const r = spawnSync("bash", [script], { encoding: "utf8", timeout: 600_000 });
  const path = r.status === 0 ? r.stdout.trim().split("\n").pop() : undefined;
  cached = path
    ? { path, status: 0 }
    : { reason: (r.stderr || r.error?.message || "ensure-chromium.sh failed").trim(), status: r.status };
  return cached;
}

/** The one test registered when Chromium is missing: passes only where it cannot be installed. */
export function chromiumUnavailableTest(what: string, found: ChromiumLookup): void {
  test(`${what}: Chromium is not available here`, () => {
    console.warn(`${what} not run: ${found.reason}`);
    // Exit 1 means "cannot be installed here" (not root / no apt-get); anything else is a failure.
    expect(found.status).toBe(1);
  });
}
