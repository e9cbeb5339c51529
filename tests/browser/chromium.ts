// chromium.ts: finding the Chromium the browser tests drive, and the flags
// they launch it with. Installing it is scripts/tools.sh's job (npm test runs
// it before any suite); a test never installs anything itself.
import { findTool, isExecutable, SETUP_COMMAND } from "../helpers/tools";

/** Flags for a quiet, sandbox-less headless Chromium (containers run as root). */
export const CHROMIUM_ARGS = [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

/** Where Chromium is, or why there is none. */
export interface ChromiumLookup {
  /** The executable, when there is one. */
  path?: string;
  /** Why there is none. */
  reason?: string;
}

/** $CHROMIUM when set, else Debian's chromium (or chromium-browser) on PATH. */
export function findChromium(): ChromiumLookup {
  const env = process.env.CHROMIUM;
  if (env) return isExecutable(env) ? { path: env } : { reason: `CHROMIUM=${env} is not an executable` };
  const path = findTool("chromium") ?? findTool("chromium-browser");
  return path ? { path } : { reason: `Chromium is not installed; the test set-up installs it: ${SETUP_COMMAND}` };
}

/** The one test registered when Chromium is missing: it fails, naming the set-up step. */
export function chromiumUnavailableTest(what: string, found: ChromiumLookup): void {
  test(`${what}: Chromium is available`, () => {
    throw new Error(`${what} cannot run: ${found.reason}`);
  });
}
