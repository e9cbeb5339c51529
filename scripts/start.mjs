// `npm start`: one node process from npm to the server (no shell between
// them running `a && b`), so SIGTERM/SIGINT sent to npm's process group or
// forwarded by npm reach the server itself. Sets up (build when stale) in a
// child, then imports the example into this very process.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const setup = spawnSync(process.execPath, [join(root, "scripts", "setup.mjs"), "--build"], { stdio: "inherit" });
if (setup.status !== 0) process.exit(setup.status ?? 1);
await import(pathToFileURL(join(root, "build", "examples", "graceful-server.mjs")).href);
