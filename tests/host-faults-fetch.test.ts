// host-faults-fetch.test.ts: the fetch adapter's response streams fail, at
// their start or mid-body, synchronously or by rejecting. The exchange
// fails (a 500 while nothing was sent, a truncated chunked body after), the
// failure reaches the errorHandler, a bystander on a kept-alive connection
// keeps getting answers through the same adapter, and shutdown finishes
// within its timeout with nobody forced.
import { fetchHandler } from "tsmongoose";
import { InjectedFault, bystanderAnswered, shutdownPromptly, startRig, stopRigs, victimRequest } from "./helpers/faults";
import { getReq } from "./helpers/raw-client";

afterEach(() => stopRigs());

type Where = "start" | "pull" | "after a chunk";
type How = "sync" | "async";

const cases: { where: Where; how: How }[] = [];
for (const where of ["start", "pull", "after a chunk"] as const) for (const how of ["sync", "async"] as const) cases.push({ where, how });

/** A body stream that fails `where`, by throwing (sync) or rejecting on a later turn (async). */
function failingBody(where: Where, how: How, err: Error): ReadableStream<Uint8Array> {
  const fail = (): Promise<void> | void => {
    if (how === "sync") throw err;
    return new Promise((_, reject) => setTimeout(() => reject(err), 5));
  };
  let pulls = 0;
  return new ReadableStream<Uint8Array>({
    start: where === "start" ? fail : undefined,
    pull(ctl) {
      if (where === "pull") return fail();
      if (pulls++ === 0) {
        ctl.enqueue(new TextEncoder().encode("first part\n"));
        // The next pull comes after the adapter has started streaming.
        return new Promise((r) => setTimeout(r, 20));
      }
      return fail();
    },
  });
}

test.each(cases)("a response stream that fails at $where ($how)", async ({ where, how }) => {
  const err = new InjectedFault(`stream ${where} (${how})`);
  const rig = await startRig({
    handler: fetchHandler((req) => {
      if (new URL(req.url).pathname === "/ping") return new Response("pong");
      return new Response(failingBody(where, how, err));
    }),
  });
  const r = await victimRequest(rig, getReq("/victim"));
  if (where !== "after a chunk" && how === "sync") {
    expect(r.responses[0]?.status).toBe(500); // nothing was sent yet
  } else {
    // The adapter streams a body that is not ready within a few ticks: the
    // head (and a chunk) went out; the missing last chunk tells the client.
    await r.client.waitEnd(5000);
    expect(r.responses).toEqual([]);
    expect(r.bytes).toMatch(where === "after a chunk" ? /^HTTP\/1\.1 200 [^]*first part\n/ : /^HTTP\/1\.1 200 /);
  }
  expect(rig.errors).toContain(err);
  await bystanderAnswered(rig);
  await shutdownPromptly(rig);
});
