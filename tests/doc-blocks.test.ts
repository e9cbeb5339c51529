// doc-blocks.test.ts: issue #15 item 13 / #16 item 7: every TypeScript code
// block in README.md and docs/*.md type-checks with `tsc --strict` against
// the built package's declarations, so no doc example drifts from the API.
// A block that is an excerpt of a file in examples/ (docs/graceful-shutdown.md
// checks that in tests/examples.test.ts) is checked through that file:
// examples/ is compiled here too. Fragments see a few ambient names
// (`mgr`, `handler`, `conn`...) declared below; a block that still cannot
// compile alone is marked in the doc with a visible `<!-- no-compile: why -->`
// line right above it.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { isExcerptOf, norm } from "./helpers/excerpt";

const ROOT = join(__dirname, "..");
const DOCS = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
const EXAMPLES = readdirSync(join(ROOT, "examples")).filter((f) => f.endsWith(".ts"));
const exampleTexts = EXAMPLES.map((f) => norm(readFileSync(join(ROOT, "examples", f), "utf8")));

/** An excerpt of one example: its parts ("// ..." marks an omission) appear in order in that file. */
const isExcerpt = (code: string): boolean => isExcerptOf(code, exampleTexts);

interface Block { doc: string; line: number; code: string; skip?: string }

function blocks(): Block[] {
  const out: Block[] = [];
  for (const doc of DOCS) {
    const lines = readFileSync(join(ROOT, doc), "utf8").split("\n");
    for (let i = 0; i < lines.length; i++) {
      if (!/^\s*```(ts|typescript)\s*$/.test(lines[i])) continue;
      const indent = /^\s*/.exec(lines[i])![0].length;
      const start = i + 1;
      let j = start;
      while (j < lines.length && !/^\s*```\s*$/.test(lines[j])) j++;
      const code = lines.slice(start, j).map((l) => l.slice(Math.min(indent, /^\s*/.exec(l)![0].length))).join("\n");
      const skip = /<!--\s*no-compile:\s*(.+?)\s*-->/.exec(lines[i - 1] ?? "")?.[1];
      out.push({ doc, line: i + 1, code, skip });
      i = j;
    }
  }
  return out;
}

/** Ambient names fragments may use without declaring them. */
const AMBIENT = `import type { Handler, Connection, HttpMessage } from "tsmongoose";
declare global {
  const handler: Handler;
  const mgr: import("tsmongoose").Manager;
  const conn: Connection;
  const msg: HttpMessage;
}
export {};
`;

function tsc(dir: string): Promise<string> {
  const bin = join(ROOT, "node_modules", "typescript", "bin", "tsc");
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, "-p", dir], { cwd: ROOT, timeout: 120_000, maxBuffer: 8 << 20 },
      (_err, stdout, stderr) => resolve(stdout + stderr));
  });
}

test("every TypeScript block of the docs compiles (tsc --strict, built types)", async () => {
  const all = blocks();
  expect(all.length).toBeGreaterThan(5);
  const skipped = all.filter((b) => b.skip !== undefined);
  expect(skipped.length).toBeLessThanOrEqual(2); // rare, and each gives its reason in the doc
  const dir = mkdtempSync(join(tmpdir(), "tsm-docs-"));
  try {
    const files: string[] = ["ambient.d.ts"];
    writeFileSync(join(dir, "ambient.d.ts"), AMBIENT);
    const names = new Map<string, Block>();
    all.forEach((b, k) => {
      if (b.skip !== undefined) return;
      // Excerpts of examples/ are compiled as the whole example (below).
      if (isExcerpt(b.code)) return;
      const name = `block${k}.ts`;
      const hasImport = /from "tsmongoose"/.test(b.code);
      const prelude = hasImport ? "" : `import { ${valueNames()} } from "tsmongoose";\n`;
      writeFileSync(join(dir, name), `${prelude}${b.code}\nexport {};\n`);
      files.push(name);
      names.set(name, b);
    });
    expect(names.size).toBeGreaterThanOrEqual(4); // README and API reference snippets compile on their own
    for (const f of EXAMPLES) files.push(join(ROOT, "examples", f));
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
      compilerOptions: {
        strict: true, noEmit: true, target: "es2022", module: "esnext", moduleResolution: "bundler",
        lib: ["es2022", "esnext.disposable"], types: ["node"], typeRoots: [join(ROOT, "node_modules", "@types")],
        skipLibCheck: true, noUnusedLocals: false,
        baseUrl: ".", paths: { tsmongoose: [join(ROOT, "dist", "index.d.mts")] },
      },
      files,
    }));
    const out = await tsc(dir);
    const errors = out.split("\n").filter((l) => /error TS/.test(l)).map((l) => {
      const m = /(block\d+\.ts)\((\d+)/.exec(l);
      const b = m ? names.get(m[1]) : undefined;
      return b ? `${b.doc}:${b.line}: ${l}` : l;
    });
    expect(errors).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 150_000);

/** Every value export of the package, for fragments that use them without an import line. */
function valueNames(): string {
  const d = readFileSync(join(ROOT, "dist", "index.mjs"), "utf8");
  const m = /export\s*\{([^}]*)\}\s*;?\s*(\/\/.*)?\s*$/.exec(d.trimEnd());
  if (!m) throw new Error("cannot find the export list of dist/index.mjs");
  return m[1].split(",").map((s) => s.trim().split(/\s+as\s+/).pop()!).filter(Boolean).join(", ");
}
