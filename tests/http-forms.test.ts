// http-forms.test.ts: msg.creds(), httpVar() and httpParseMultipart() with
// real peers: curl's -u / --oauth2-bearer / -F, fetch with FormData and
// URLSearchParams bodies, and direct calls on edge cases.
import { MG_EV_HTTP_MSG, httpParseMultipart, httpVar } from "tsmongoose";
import type { HttpMessage } from "tsmongoose";
import { startServer, stopAllServers } from "./helpers/server";
import { curl, ensureCurl } from "./helpers/curl";

beforeAll(() => ensureCurl());
afterEach(() => stopAllServers());

/** Every part of a multipart body, by iterating httpParseMultipart. */
function parts(body: Uint8Array): { name: string; filename?: string; text: string }[] {
  const out: { name: string; filename?: string; text: string }[] = [];
  for (let ofs = 0, r; (r = httpParseMultipart(body, ofs)).next !== 0; ofs = r.next) {
    const p = r.part!;
    out.push({ name: p.name, ...(p.filename !== undefined ? { filename: p.filename } : {}), text: Buffer.from(p.body).toString() });
  }
  return out;
}

async function credsServer() {
  return startServer((c, ev, data) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    const hm = data as HttpMessage;
    if (hm.uri === "/form") {
      const body = hm.bodyText;
      c.replyJson({ a: httpVar(body, "a") ?? null, b: httpVar(body, "b") ?? null, z: httpVar(body, "z") ?? null });
    } else if (hm.uri === "/upload") {
      c.replyJson(parts(hm.body));
    } else {
      c.replyJson(hm.creds() ?? null);
    }
  });
}

test("creds(): Basic from curl -u and fetch, Bearer, access_token cookie and query", async () => {
  const srv = await credsServer();
  const j = async (args: string[]) => JSON.parse((await curl(["-s", ...args])).stdout.toString());
  expect(await j(["-u", "alice:pa:ss wörd", `${srv.base}/`])).toEqual({ user: "alice", pass: "pa:ss wörd" });
  expect(await j(["--oauth2-bearer", "tok-123", `${srv.base}/`])).toEqual({ user: "", pass: "tok-123" });
  expect(await j(["-b", "x=1; access_token=from-cookie", `${srv.base}/`])).toEqual({ user: "", pass: "from-cookie" });
  expect(await j([`${srv.base}/?access_token=from%20query`])).toEqual({ user: "", pass: "from query" });
  expect(await j([`${srv.base}/`])).toBeNull();
  const r = await fetch(`${srv.base}/`, { headers: { Authorization: `Basic ${Buffer.from("bob:").toString("base64")}` } });
  expect(await r.json()).toEqual({ user: "bob", pass: "" });
});

test("httpVar over a urlencoded body from fetch", async () => {
  const srv = await credsServer();
  const r = await fetch(`${srv.base}/form`, { method: "POST", body: new URLSearchParams({ a: "x y&z=1", b: "ünï" }) });
  expect(await r.json()).toEqual({ a: "x y&z=1", b: "ünï", z: null });
  expect(httpVar("a=1&b=%41%zz", "b")).toBe("A%zz");
  expect(httpVar(new TextEncoder().encode("k=v"), "k")).toBe("v");
  expect(httpVar("a=1", "")).toBeUndefined();
  expect(() => httpVar("a=1", 3 as never)).toThrow(TypeError);
  expect(() => httpVar(3 as never, "a")).toThrow(TypeError);
});

test("httpParseMultipart over bodies from curl -F and fetch FormData", async () => {
  const srv = await credsServer();
  const res = await curl(["-s", "-F", "field=value one", "-F", "file=@package.json;filename=pkg.json", `${srv.base}/upload`]);
  const got = JSON.parse(res.stdout.toString()) as { name: string; filename?: string; text: string }[];
  expect(got.map((p) => [p.name, p.filename])).toEqual([["field", undefined], ["file", "pkg.json"]]);
  expect(got[0].text).toBe("value one");
  expect(JSON.parse(got[1].text).name).toBe("tsmongoose");
  const fd = new FormData();
  fd.append("a", "1");
  fd.append("blob", new Blob([new Uint8Array([0, 13, 10, 45, 45, 255])]), "bin.dat");
  const r = await fetch(`${srv.base}/upload`, { method: "POST", body: fd });
  const parts2 = (await r.json()) as { name: string; filename?: string; text: string }[];
  expect(parts2.map((p) => [p.name, p.filename])).toEqual([["a", undefined], ["blob", "bin.dat"]]);
  // Binary-safe: check the bytes directly.
  const body = new TextEncoder().encode("--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n\0\r\n--b--\r\n");
  const one = httpParseMultipart(body);
  expect(one.part?.body).toEqual(new Uint8Array([0]));
  expect(httpParseMultipart(body, one.next)).toEqual({ next: 0 });
  expect(httpParseMultipart(new Uint8Array(0))).toEqual({ next: 0 });
  expect(httpParseMultipart("x")).toEqual({ next: 0 }); // a string is its UTF-8 bytes (the reference takes str)
  expect(() => httpParseMultipart(42 as never)).toThrow(TypeError);
  expect(() => httpParseMultipart(body, -1)).toThrow(RangeError);
});
