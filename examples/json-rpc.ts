// json-rpc.ts: JSON-RPC 2.0 with the Rpc dispatcher, two ways: HTTP POST
// /rpc (one call per request) and a WebSocket on /ws (one call per text
// message, answers in the same order; the reference's json-rpc-over-websocket).
// Methods read their params with the core's JSON getters and answer with
// req.ok()/req.err(), or return a value (or a promise of one).
// PORT (default 8000; 0 = any free port).
//   curl -s -d '{"jsonrpc":"2.0","id":1,"method":"sum","params":[2,3]}' http://127.0.0.1:8000/rpc
import { init, jsonGetNum, jsonGetStr, Manager, MG_EV_HTTP_MSG, MG_EV_WS_MSG, Rpc, RPC_INVALID_PARAMS } from "tsmongoose";
import type { Connection, HttpMessage, WsMessage } from "tsmongoose";

const port = Number(process.env.PORT ?? 8000);

const rpc = new Rpc();
rpc.add("sum", (req) => {
  const a = jsonGetNum(req.params, "$[0]"), b = jsonGetNum(req.params, "$[1]");
  if (a === undefined || b === undefined) return req.err(RPC_INVALID_PARAMS, "sum takes two numbers");
  req.ok(String(a + b));
});
rpc.add("hello", (req) => `hello ${jsonGetStr(req.params, "$.name") ?? "world"}`);
rpc.add("later", async () => {                   // an async method: the reply waits for it
  await new Promise((r) => setTimeout(r, 20));
  return { done: true };
});

await init();
// WebSocket answers leave in call order: each waits for the one before it
// on its connection, though an async method may finish after a later call.
const lastAnswer = new WeakMap<Connection, Promise<void>>();

const mgr = new Manager(async (conn, ev, data) => {
  if (ev === MG_EV_WS_MSG) {
    const answer = rpc.process((data as WsMessage).text);   // starts now; the message view ends with this call
    const sent = (lastAnswer.get(conn) ?? Promise.resolve()).then(async () => {
      const frame = await answer;
      if (frame !== "" && !conn.closed) conn.wsSend(frame);  // a notification gets no answer
    });
    lastAnswer.set(conn, sent);
    return sent;
  }
  if (ev !== MG_EV_HTTP_MSG) return;
  const hm = data as HttpMessage;
  if (hm.uri === "/ws") {
    conn.wsUpgrade(hm);
    return;
  }
  if (hm.method !== "POST" || hm.uri !== "/rpc") {
    conn.reply(404, "POST JSON-RPC requests to /rpc, or open a WebSocket on /ws\n");
    return;
  }
  const answer = await rpc.process(hm.body);      // copy taken before the await
  if (answer === "") conn.reply(204);             // a notification: no response body
  else conn.reply(200, answer, { "Content-Type": "application/json" });
});
const listener = mgr.listen(`http://127.0.0.1:${port}`);
console.log(`Server running on http://127.0.0.1:${listener.localAddr.port}`);
console.log("Press Ctrl+C to stop");
await mgr.run();
console.log("Server stopped cleanly");
