// package.test.ts: what users get from npm. The tarball `npm pack` makes is
// installed into an empty folder (the package has no runtime dependencies,
// so this works offline), then used from ESM, from CommonJS and from
// TypeScript, each in a fresh node process that starts a server on
// 127.0.0.1:0, fetches it and exits.
//
// `npm pack --ignore-scripts`: dist/ is built before jest runs (`npm test`
// builds first); rebuilding it here would rewrite dist/ under the suites
// running in parallel.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(__dirname, "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  name: string; main: string; module: string; types: string;
  exports: Record<string, unknown>;
};

/** Runs a command; resolves with its output, rejects with it on failure. */
function run(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, {
      cwd, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, npm_config_update_notifier: "false", npm_config_loglevel: "error" },
    }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(" ")} failed (${err.message}):\n${stdout}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

let tmp = "";
let app = "";
let tarball = "";
let files: string[] = [];

beforeAll(async () => {
  for (const f of ["dist/mongoose.wasm", "dist/index.mjs", "dist/index.cjs", "dist/browser.mjs", pkg.types.replace(/^\.\//, "")]) {
    if (!existsSync(join(root, f))) throw new Error(`${f} is missing: build first (npm run build)`);
  }
  tmp = mkdtempSync(join(tmpdir(), "tsmongoose-pack-"));
  const packDir = join(tmp, "pack");
  app = join(tmp, "app");
  mkdirSync(packDir);
  mkdirSync(app);
  const packed = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", packDir], root, 120_000);
  const info = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(packDir, info[0].filename);
  files = info[0].files.map((f) => f.path);
  // An empty folder; the package.json only stops npm from looking upwards.
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "pack-consumer", version: "1.0.0", private: true }));
  await run("npm", ["install", "--no-audit", "--no-fund", tarball], app, 120_000);
}, 300_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("the tarball", () => {
  test("contains the wasm core, both bundles, the browser bundle and the types", () => {
    for (const f of ["package.json", "dist/mongoose.wasm", "dist/index.mjs", "dist/index.cjs", "dist/browser.mjs"]) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => f.startsWith("dist/types/") && f.endsWith(".d.ts")).length).toBeGreaterThan(0);
    expect(files).toContain("LICENSE");
  });

  test("@arethetypeswrong/cli finds no problem (ESM typed as ESM, CJS as CJS, browser condition)", async () => {
    // mongoose.wasm is an asset subpath, not a module: nothing to type.
    const attw = join(root, "node_modules", "@arethetypeswrong", "cli", "dist", "index.js");
    const { stdout } = await run(process.execPath, [attw, tarball, "--exclude-entrypoints", "./mongoose.wasm", "--format", "ascii"], tmp, 120_000);
    expect(stdout).toContain("No problems found");
  }, 150_000);

  test("publint reports nothing (no errors, warnings or suggestions)", async () => {
    const publint = join(root, "node_modules", "publint", "src", "cli.js");
    const { stdout, stderr } = await run(process.execPath, [publint, tarball, "--level", "suggestion"], tmp, 120_000);
    expect(stdout + stderr).not.toMatch(/Errors:|Warnings:|Suggestions:/);
  }, 150_000);

  test("LICENSE, repository, homepage, bugs and sideEffects are declared", () => {
    const p = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as Record<string, unknown>;
    expect(p.license).toBe("MIT");
    expect(readFileSync(join(root, "LICENSE"), "utf8")).toMatch(/MIT License/);
    expect(p.repository).toEqual(expect.objectContaining({ type: "git" }));
    expect(typeof p.homepage).toBe("string");
    expect(p.bugs).toEqual(expect.objectContaining({ url: expect.any(String) }));
    expect(p.sideEffects).toBeDefined();
  });

  test("every entry point package.json names is in it", () => {
    const targets = new Set<string>([pkg.main, pkg.module, pkg.types]);
    const walk = (v: unknown): void => {
      if (typeof v === "string") targets.add(v);
      else if (v && typeof v === "object") Object.values(v).forEach(walk);
    };
    walk(pkg.exports);
    for (const t of targets) expect(files).toContain(t.replace(/^\.\//, ""));
  });

  test("ships no sources, tests or build scripts", () => {
    const unwanted = files.filter((f) =>
      /^(wasm|ts|shim|tests|examples|scripts|src|build|node_modules)\//.test(f) ||
      /(^|\/)(tests?|__tests__)\//.test(f) || /\.test\.|\.spec\./.test(f) || /\.(c|h)$/.test(f));
    expect(unwanted).toEqual([]);
  });

  test("installs into an empty folder with the wasm core beside the bundles", () => {
    const installed = join(app, "node_modules", pkg.name);
    expect(existsSync(join(installed, "dist", "mongoose.wasm"))).toBe(true);
    const lock = JSON.parse(readFileSync(join(app, "package-lock.json"), "utf8")) as { packages: Record<string, unknown> };
    // No runtime dependencies: the folder holds the package and nothing else.
    expect(Object.keys(lock.packages).sort()).toEqual(["", `node_modules/${pkg.name}`]);
  });
});

/** A client script body: starts a server on 127.0.0.1:0, fetches it, exits. */
function serverScript(tag: string): string {
  return `
  // A hang (a handle left open) fails the run with its own exit code.
  setTimeout(() => { console.log("still running after 10 s"); process.exit(3); }, 10_000).unref();
  await init();
  const mgr = new Manager((conn, ev, hm) => {
    if (ev === MG_EV_HTTP_MSG) conn.reply(200, "${tag} " + hm.method + " " + hm.uri);
  });
  const listener = mgr.listen("http://127.0.0.1:0");
  let answer;
  fetch("http://127.0.0.1:" + listener.localAddr.port + "/hi")
    .then(async (r) => { answer = r.status + " " + (await r.text()); }, (e) => { answer = "fetch failed: " + e; });
  for (let i = 0; i < 500 && answer === undefined; i++) await mgr.poll(10);
  mgr.close();
  console.log(answer);
`;
}

describe("the installed package", () => {
  test("works from ESM (import) and resolves to dist/index.mjs", async () => {
    writeFileSync(join(app, "esm.mjs"), `import { init, Manager, MG_EV_HTTP_MSG } from "tsmongoose";
console.log(import.meta.resolve("tsmongoose"));
${serverScript("esm")}`);
    const { stdout } = await run(process.execPath, ["esm.mjs"], app, 20_000);
    const [resolved, answer] = stdout.trim().split("\n");
    expect(resolved).toMatch(/\/node_modules\/tsmongoose\/dist\/index\.mjs$/);
    expect(answer).toBe("200 esm GET /hi");
  }, 30_000);

  test("works from CommonJS (require) and resolves to dist/index.cjs", async () => {
    writeFileSync(join(app, "cjs.cjs"), `const { init, Manager, MG_EV_HTTP_MSG } = require("tsmongoose");
console.log(require.resolve("tsmongoose"));
(async () => {
${serverScript("cjs")}
})().catch((e) => { console.error(e); process.exit(1); });`);
    const { stdout } = await run(process.execPath, ["cjs.cjs"], app, 20_000);
    const [resolved, answer] = stdout.trim().split("\n");
    expect(resolved).toMatch(/\/node_modules\/tsmongoose\/dist\/index\.cjs$/);
    expect(answer).toBe("200 cjs GET /hi");
  }, 30_000);

  test("its types resolve and type-check (node16 and bundler resolution)", async () => {
    writeFileSync(join(app, "check.ts"), `import { init, Manager, MG_EV_HTTP_MSG } from "tsmongoose";
import type { Connection, HttpMessage } from "tsmongoose";

export async function main(): Promise<number> {
  await init();
  const mgr = new Manager((conn: Connection, ev: number, data: unknown) => {
    if (ev === MG_EV_HTTP_MSG) conn.reply(200, "uri " + (data as HttpMessage).uri);
  });
  const port: number = mgr.listen("http://127.0.0.1:0").localAddr.port;
  const events: number = await mgr.poll(0);
  // @ts-expect-error listen() takes a URL string (fails if the types were 'any')
  mgr.listen(8000);
  mgr.close();
  return port + events;
}
`);
    // Issue #16 items 7 and 8: typed handler data, no internals, ESM typed as ESM.
    writeFileSync(join(app, "typed.mts"), `import { Manager, MG_EV_HTTP_MSG, MG_EV_READ, MG_EV_ERROR, HeadersSentError } from "tsmongoose";
import type { Handler, ShutdownHook, ForcedConnection, ShutdownReport } from "tsmongoose";
// @ts-expect-error the ESM entry has no default export (it would crash at run time)
import tsm from "tsmongoose";
interface State { hits: number }
export const h: Handler<State> = (conn, ev, data) => {
  if (ev === MG_EV_HTTP_MSG) conn.reply(200, data.uri + conn.userdata.hits);
  if (ev === MG_EV_READ) { const n: number = data; void n; }
  if (ev === MG_EV_ERROR) { const code: string | undefined = data.code; void code; }
  // @ts-expect-error MG_EV_READ carries a byte count, not a message
  if (ev === MG_EV_READ) void data.uri;
};
const mgr = new Manager(h);
mgr.listen("http://127.0.0.1:0", { handler: (c, ev) => { void c; void ev; } });
// @ts-expect-error internal members are not part of the public types
void mgr._ptr;
export const hook: ShutdownHook = () => undefined;
export const f: ForcedConnection[] = [];
export type R = ShutdownReport;
export const isValue = new HeadersSentError(1, "reply") instanceof Error;
void tsm;
`);
    // The browser condition: no @types/node, DOM lib; Node-only exports are absent.
    writeFileSync(join(app, "browser.mts"), `import { Manager, memoryNetwork, wakeup, MG_EV_HTTP_MSG } from "tsmongoose";
// @ts-expect-error nodeNetwork exists only in the Node entry
import { nodeNetwork } from "tsmongoose";
const net = memoryNetwork();
const mgr = new Manager((c, ev, msg) => { if (ev === MG_EV_HTTP_MSG) c.reply(200, msg.uri); }, { network: net });
export const w = typeof wakeup;
export { mgr, nodeNetwork };
`);
    const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
    const common = ["--noEmit", "--strict", "--target", "es2022", "--lib", "es2022",
      "--types", "node", "--typeRoots", join(root, "node_modules", "@types"), "check.ts"];
    await run(process.execPath, [tsc, "--module", "node16", "--moduleResolution", "node16", ...common], app, 60_000);
    await run(process.execPath, [tsc, "--module", "esnext", "--moduleResolution", "bundler", ...common], app, 60_000);
    const strictLib = ["--noEmit", "--strict", "--skipLibCheck", "false", "--target", "es2022"];
    await run(process.execPath, [tsc, ...strictLib, "--lib", "es2022", "--module", "node16", "--moduleResolution", "node16",
      "--types", "node", "--typeRoots", join(root, "node_modules", "@types"), "typed.mts"], app, 60_000);
    await run(process.execPath, [tsc, ...strictLib, "--lib", "es2022,esnext.disposable,dom", "--module", "esnext", "--moduleResolution", "bundler",
      "--customConditions", "browser", "browser.mts"], app, 60_000);
  }, 180_000);
});
