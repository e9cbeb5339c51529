// npm-start.test.ts: issue #16 item 3: `kill -TERM <npm's pid>` after
// `npm start` stops the server gracefully (no shell between npm and node
// swallowing the signal, no orphan left listening).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { connectOutcome } from "./fixtures/http-conn";

const ROOT = join(__dirname, "..");

test("SIGTERM to npm's own pid reaches the server: clean shutdown, npm exits 0, port closed", async () => {
  const npm = spawn("npm", ["start", "--silent"], { cwd: ROOT, env: { ...process.env, PORT: "0" }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  npm.stdout.on("data", (d: Buffer) => { out += d.toString(); });
  npm.stderr.on("data", (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((r) => npm.on("exit", (code) => r(code)));
  try {
    const deadline = Date.now() + 60_000;
    while (!/127\.0\.0\.1:(\d+)/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    expect(port).toBeGreaterThan(0);
    npm.kill("SIGTERM");
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r("timeout"), 15_000))]);
    expect(code).toBe(0);
    expect(out).toContain("Server stopped cleanly");
    expect(await connectOutcome(port)).toBe("ECONNREFUSED");
  } finally {
    npm.kill("SIGKILL");
  }
}, 90_000);

test("the Dockerfile starts node directly, not through npm", () => {
  const docker = readFileSync(join(ROOT, "examples", "deploy", "Dockerfile"), "utf8");
  const cmd = docker.split("\n").filter((l) => /^(CMD|ENTRYPOINT)\b/.test(l));
  expect(cmd.length).toBeGreaterThan(0);
  for (const line of cmd) expect(line).not.toMatch(/\bnpm\b/);
  expect(cmd.join("\n")).toMatch(/"node"/);
});
