// host-faults-fs.test.ts: a file system that throws is that request's
// failure, never the manager's. serveDir over node:fs answers "/<file>/"
// (ENOTDIR in the host) as not found; then a FileSystem throws at each of its
// call sites in turn, on the first call (inside serveDir) or on later ones
// (the body pump, after the socket drained). Each time a bystander on a
// kept-alive connection keeps getting answers, the failure reaches the
// errorHandler, and shutdown finishes within its timeout with nobody forced.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PackedFs } from "tsmongoose";
import { FaultyFs, bystanderAnswered, shutdownPromptly, startRig, stopRigs, victimRequest, type FsSite,
  type VictimResult } from "./helpers/faults";
import { getReq } from "./helpers/raw-client";
import { patternBytes } from "./helpers/http";

afterEach(() => stopRigs());

describe("serveDir over node:fs: a path through a regular file", () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), "tsm-hostfaults-"));
    writeFileSync(join(tmp, "index.html"), "<h1>home</h1>");
    mkdirSync(join(tmp, "sub"));
    writeFileSync(join(tmp, "sub", "a.txt"), "a");
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  test("GET /index.html/ and /sub/a.txt/x answer 404 like a missing file; the manager keeps serving", async () => {
    const rig = await startRig((c, hm) => c.serveDir(hm, tmp));
    const missing = await victimRequest(rig, getReq("/nope.html"));
    expect(missing.responses[0]?.status).toBe(404);
    for (const path of ["/index.html/", "/sub/a.txt/x"]) {
      const r = await victimRequest(rig, getReq(path));
      expect({ path, status: r.responses[0]?.status, body: r.responses[0]?.body.toString() })
        .toEqual({ path, status: 404, body: missing.responses[0].body.toString() });
      await bystanderAnswered(rig);
    }
    expect(rig.errors).toEqual([]); // not found is no failure
    await shutdownPromptly(rig);
  });
});

const SMALL = "hello from a packed file\n";
const BIG = patternBytes(3 * 1024 * 1024 + 5, 3); // a host-side body: several pump reads

function packed(): PackedFs {
  return new PackedFs({ "/www/a.txt": SMALL, "/www/big.bin": BIG, "/www/dir/x.txt": "x" });
}

/** What the victim's client must see. */
type Outcome =
  | "404" // not found: the failing call answered "no such file"
  | "403" // a directory without index.html and no listing
  | "cut" // the head went out, the body could not: the connection closes short of Content-Length
  | "complete"; // the answer is whole (a failing close() loses nothing)

interface FsCase {
  site: FsSite;
  when: "first" | "later";
  path: string;
  view: boolean;
  listing?: boolean;
  outcome: Outcome;
}

const fsCases: FsCase[] = [
  { site: "stat", when: "first", path: "/a.txt", view: false, outcome: "404" },
  { site: "stat", when: "later", path: "/dir/", view: false, outcome: "403" },
  { site: "within", when: "first", path: "/a.txt", view: false, outcome: "404" },
  { site: "open", when: "first", path: "/a.txt", view: false, outcome: "404" },
  { site: "open", when: "first", path: "/big.bin", view: false, outcome: "404" },
  { site: "list", when: "first", path: "/dir/", view: false, listing: true, outcome: "404" },
  { site: "read", when: "first", path: "/a.txt", view: false, outcome: "cut" },
  { site: "read", when: "first", path: "/big.bin", view: false, outcome: "cut" },
  { site: "read", when: "later", path: "/big.bin", view: false, outcome: "cut" },
  { site: "view", when: "first", path: "/big.bin", view: true, outcome: "cut" },
  { site: "close", when: "first", path: "/a.txt", view: false, outcome: "complete" },
  { site: "close", when: "first", path: "/big.bin", view: true, outcome: "complete" },
];

function expectOutcome(r: VictimResult, outcome: Outcome, path: string): void {
  const first = r.responses[0];
  switch (outcome) {
    case "404":
    case "403":
      expect(first?.status).toBe(Number(outcome));
      break;
    case "cut":
      expect(r.responses).toEqual([]);
      expect(r.ended).toBe(true);
      expect(r.bytes.startsWith("HTTP/1.1 200 ")).toBe(true);
      break;
    case "complete":
      expect(first?.status).toBe(200);
      expect(first?.body.length).toBe(path === "/big.bin" ? BIG.length : SMALL.length);
      break;
  }
}

describe("a FileSystem that throws at each call site in turn", () => {
  test.each(fsCases)("fs.$site throws ($when call) serving $path (view: $view): $outcome", async (fc) => {
    const fs = new FaultyFs(packed(), fc.site, fc.when, fc.view);
    const rig = await startRig((c, hm) => c.serveDir(hm, "/www", { fs, dirListing: fc.listing === true }));
    const r = await victimRequest(rig, getReq(fc.path));
    expectOutcome(r, fc.outcome, fc.path);
    expect(fs.hits).toBeGreaterThan(0);
    expect(rig.errors).toContain(fs.err);
    await bystanderAnswered(rig);
    // The same file system, faults spent or not, serves the next request whole.
    const again = await victimRequest(rig, getReq("/a.txt"));
    if (fc.when === "first") expect(again.responses[0]?.body.toString()).toBe(SMALL);
    await bystanderAnswered(rig);
    await shutdownPromptly(rig);
  });
});
