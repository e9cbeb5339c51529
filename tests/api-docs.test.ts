// api-docs.test.ts: issue #22 item 6: docs/api.md is checked against the
// built package, so the reference cannot drift from the code.
//  1. Every export (values of dist/index.cjs, values and types of
//     dist/index.d.mts, read with the TypeScript compiler) and every error
//     code the sources throw is named in docs/api.md.
//  2. An option table ("| `X` field | default (`DEFAULTS.x`) | meaning |")
//     lists exactly the fields of interface X, and its default column gives
//     the value the code uses: the frozen DEFAULTS / NODE_DEFAULTS objects the
//     modules themselves read. A literal (`30000`, `1 MiB`, `true`, `"SIGHUP"`,
//     `["SIGINT", "SIGTERM"]`) must equal the code's; prose ("the listener's
//     address") is allowed only where the code has no fixed value.
//  3. No hand-written size of the built core in README.md or docs/ (sizes
//     change with every core change; `npm run build` prints them).
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import * as ts from "typescript";
import * as api from "tsmongoose";

const ROOT = join(__dirname, "..");
const API_MD = readFileSync(join(ROOT, "docs", "api.md"), "utf8");
const exported = api as unknown as Record<string, unknown>;

/** Identifiers inside the doc's code: fenced blocks, then `...` spans (also spans broken over lines). */
function codeIdentifiers(md: string): Set<string> {
  const ids = new Set<string>();
  const code: string[] = [];
  const prose = md.replace(/^\s*```.*\n([\s\S]*?)^\s*```\s*$/gm, (_all, block: string) => { code.push(block); return ""; });
  for (const m of prose.matchAll(/`([^`]+)`/g)) code.push(m[1]);
  for (const c of code) for (const id of c.matchAll(/[A-Za-z_$][\w$]*/g)) ids.add(id[0]);
  return ids;
}

/** The declarations of the Node entry, through the compiler: name -> symbol. */
function declaredExports(): { checker: ts.TypeChecker; symbols: Map<string, ts.Symbol> } {
  const entry = join(ROOT, "dist", "index.d.mts");
  const program = ts.createProgram([entry], {
    strict: true, noEmit: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ["lib.es2022.d.ts", "lib.esnext.disposable.d.ts", "lib.dom.d.ts"], types: ["node"],
    typeRoots: [join(ROOT, "node_modules", "@types")],
  });
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(entry);
  const mod = file && checker.getSymbolAtLocation(file);
  if (!mod) throw new Error(`cannot read the module of ${entry}`);
  return { checker, symbols: new Map(checker.getExportsOfModule(mod).map((s) => [s.name, s])) };
}

const { checker, symbols } = declaredExports();

/** Property names of exported interface `name` (inherited ones included). */
function fieldsOf(name: string): string[] {
  const sym = symbols.get(name);
  if (!sym) throw new Error(`${name} is not an exported type`);
  const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
  return checker.getDeclaredTypeOfSymbol(target).getProperties().map((p) => p.name).sort();
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sourceFiles(p) : f.endsWith(".ts") ? [p] : [];
  });
}

describe("every public name is in docs/api.md", () => {
  const documented = codeIdentifiers(API_MD);

  test("runtime exports of dist/index.cjs", () => {
    const names = Object.keys(exported).filter((n) => n !== "__esModule" && n !== "default");
    expect(names.length).toBeGreaterThan(100);
    expect(names.filter((n) => !documented.has(n))).toEqual([]);
  });

  test("values and types of dist/index.d.mts (TypeScript compiler)", () => {
    const names = [...symbols.keys()];
    expect(names).toEqual(expect.arrayContaining(["Manager", "ShutdownOptions", "Limits", "HandlerArgs"]));
    expect(names.filter((n) => !documented.has(n))).toEqual([]);
  });

  test("every error code the sources throw (ERR_* literals in ts/ and shim/)", () => {
    const codes = new Set<string>();
    for (const f of [...sourceFiles(join(ROOT, "ts")), ...sourceFiles(join(ROOT, "shim"))]) {
      for (const m of readFileSync(f, "utf8").matchAll(/["'`](ERR_[A-Z0-9_]+)["'`]/g)) codes.add(m[1]);
    }
    expect(codes.size).toBeGreaterThan(20);
    expect([...codes].filter((c) => !documented.has(c)).sort()).toEqual([]);
  });
});

interface OptionTable { line: number; type: string; defaultsPath?: string; rows: { field: string; dflt?: string; line: number }[] }

const cells = (line: string): string[] => line.trim().replace(/^\||\|$/g, "").split(/(?<!\\)\|/).map((c) => c.trim());

/** The tables of api.md whose header starts with "`Type` field". */
function optionTables(md: string): OptionTable[] {
  const lines = md.split("\n");
  const out: OptionTable[] = [];
  for (let i = 0; i < lines.length; i++) {
    const head = cells(lines[i]);
    const type = /^`(\w+)` field$/.exec(head[0] ?? "")?.[1];
    if (!lines[i].startsWith("|") || type === undefined) continue;
    const dcol = head.findIndex((c) => /^default\b/.test(c));
    const defaultsPath = dcol < 0 ? undefined : /^default \(`((?:NODE_)?DEFAULTS\.\w+)`\)$/.exec(head[dcol])?.[1] ?? "(malformed)";
    const table: OptionTable = { line: i + 1, type, defaultsPath, rows: [] };
    for (i += 2; i < lines.length && lines[i].startsWith("|"); i++) {
      const row = cells(lines[i]);
      // "`a`, `b`" names several fields sharing one row; "`f(args)`" names f.
      const fields = [...row[0].matchAll(/`(\w+)/g)].map((m) => m[1]);
      if (fields.length === 0) fields.push(`(no field name: ${row[0]})`);
      for (const field of fields) table.rows.push({ field, dflt: dcol < 0 ? undefined : row[dcol], line: i + 1 });
    }
    out.push(table);
  }
  return out;
}

const UNITS: Record<string, number> = { KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/**
 * The value a default cell states, or NO_VALUE for prose. The value is the
 * cell (backticks dropped) up to an optional " (note)"; numbers may group
 * digits with spaces or "_" and carry a binary unit ("1 MiB").
 */
const NO_VALUE = Symbol("prose");
function statedValue(cell: string): unknown {
  const s = cell.replace(/`/g, "").replace(/\s+\(.*\)$/, "").trim();
  if (/^-?\d{1,3}(?:[ _]?\d{3})*$/.test(s)) return Number(s.replace(/[ _]/g, ""));
  const unit = /^(\d+) (KiB|MiB|GiB)$/.exec(s);
  if (unit) return Number(unit[1]) * UNITS[unit[2]];
  if (/^(true|false|null)$/.test(s) || /^".*"$/.test(s) || /^\[.*\]$/.test(s)) {
    try { return JSON.parse(s); } catch { return NO_VALUE; }
  }
  return NO_VALUE;
}

describe("option tables of docs/api.md match the code", () => {
  const tables = optionTables(API_MD);
  const roots: Record<string, Record<string, Record<string, unknown>>> = {
    DEFAULTS: exported.DEFAULTS as Record<string, Record<string, unknown>>,
    NODE_DEFAULTS: exported.NODE_DEFAULTS as Record<string, Record<string, unknown>>,
  };

  test("the tables exist, and every DEFAULTS / NODE_DEFAULTS entry has one", () => {
    expect(tables.length).toBeGreaterThanOrEqual(12);
    const documented = tables.map((t) => t.defaultsPath);
    const entries = Object.entries(roots).flatMap(([root, obj]) => Object.keys(obj).map((k) => `${root}.${k}`));
    expect(entries.length).toBeGreaterThanOrEqual(12);
    expect(entries.filter((e) => !documented.includes(e))).toEqual([]);
    expect(exported.DEFAULT_LIMITS).toBe(roots.DEFAULTS.limits);
  });

  test("each table lists exactly its interface's fields", () => {
    const wrong = tables.flatMap((t) => {
      const rows = t.rows.map((r) => r.field).sort();
      const fields = fieldsOf(t.type);
      return rows.join() === fields.join() ? [] : [{ line: t.line, type: t.type, missing: fields.filter((f) => !rows.includes(f)), extra: rows.filter((r) => !fields.includes(r)) }];
    });
    expect(wrong).toEqual([]);
  });

  test("every default written equals the code's, and every fixed default is written", () => {
    const wrong: string[] = [];
    for (const t of tables.filter((x) => x.defaultsPath !== undefined)) {
      const [root, key] = t.defaultsPath!.split(".");
      const code = roots[root]?.[key];
      if (!code) { wrong.push(`api.md:${t.line}: ${t.defaultsPath} does not exist`); continue; }
      for (const r of t.rows) {
        const stated = statedValue(r.dflt ?? "");
        const actual = code[r.field];
        if (stated === NO_VALUE) {
          if (actual !== undefined) wrong.push(`api.md:${r.line}: ${t.type}.${r.field}: the code's default is ${JSON.stringify(actual)}, the doc says "${r.dflt}"`);
        } else if (JSON.stringify(stated) !== JSON.stringify(actual)) {
          wrong.push(`api.md:${r.line}: ${t.type}.${r.field}: doc ${JSON.stringify(stated)}, code ${JSON.stringify(actual)}`);
        }
      }
      for (const k of Object.keys(code)) {
        if (!t.rows.some((r) => r.field === k)) wrong.push(`api.md:${t.line}: ${t.type} has no row for ${k} (default ${JSON.stringify(code[k])})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  test("the default-cell reader tells values from prose", () => {
    expect(statedValue("`30000`")).toBe(30000);
    expect(statedValue("30 000")).toBe(30000);
    expect(statedValue("`512 MiB`")).toBe(512 * 1024 * 1024);
    expect(statedValue("`true` (false when replyStatus is given)")).toBe(true);
    expect(statedValue('`["SIGINT", "SIGTERM"]`')).toEqual(["SIGINT", "SIGTERM"]);
    expect(statedValue('`"0.0.0.0"`')).toBe("0.0.0.0");
    expect(statedValue("the listener's address")).toBe(NO_VALUE);
    expect(statedValue("`limits.idleTimeoutMs`")).toBe(NO_VALUE);
  });
});

test("no hand-written size of the built core or bundles in README.md or docs/", () => {
  const docs = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
  const found: string[] = [];
  for (const doc of docs) {
    for (const para of readFileSync(join(ROOT, doc), "utf8").split(/\n\s*\n/)) {
      if (/mongoose\.wasm|STANDALONE_WASM|embedded|\bbundles?\b/i.test(para) && /\d\s*(?:[kKM]i?B)\b/.test(para)) found.push(`${doc}: ${para.slice(0, 120)}`);
    }
  }
  expect(found).toEqual([]);
});
