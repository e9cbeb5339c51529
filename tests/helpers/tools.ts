// tools.ts: the Debian tools a suite drives (nginx, mosquitto, wrk, openssl,
// chromium...). Tests never install anything: `npm test` runs
// scripts/tools.sh once, before any suite starts (two jest workers running
// apt-get at once collide on dpkg's lock). A missing tool fails its test at
// once, naming that set-up step.
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** The command a user runs to install what the suites need. */
export const SETUP_COMMAND = "bash scripts/tools.sh (as root; npm test runs it first)";

/** Whether `path` names a file this process may execute. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The absolute path of `tool` on PATH (or /usr/sbin, where nginx and mosquitto live), else undefined. */
export function findTool(tool: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/sbin"];
  for (const dir of dirs) {
    if (!dir) continue;
    const p = join(dir, tool);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

/** The path of `tool`; throws an error naming the set-up step when it is missing. */
export function requireTool(tool: string): string {
  const p = findTool(tool);
  if (!p) throw new Error(`'${tool}' is not installed; the test set-up installs it: ${SETUP_COMMAND}`);
  return p;
}
