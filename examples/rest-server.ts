// rest-server.ts: a small JSON REST API, the twin of the reference's
// RESTful server example.
//   GET    /api/stats         public: uptime and request count
//   GET    /api/items         the list;  POST /api/items  adds {"name": ...}
//   GET    /api/items/:id     one item;  DELETE /api/items/:id removes it
//   GET    /api/secret        needs credentials (Basic USER:PASS, or a Bearer
//                              / access_token equal to TOKEN): msg.creds()
// Everything else is 404. PORT (default 8000; 0 = any free port),
// AUTH_USER / AUTH_PASS (default admin / secret), TOKEN (default t0ken).
import { init, Manager, MG_EV_HTTP_MSG } from "tsmongoose";
import type { Connection, HttpMessage } from "tsmongoose";

const port = Number(process.env.PORT ?? 8000);
const user = process.env.AUTH_USER ?? "admin";
const pass = process.env.AUTH_PASS ?? "secret";
const token = process.env.TOKEN ?? "t0ken";

interface Item { id: number; name: string }
const items = new Map<number, Item>();
let nextId = 1;
let requests = 0;
const started = Date.now();

function handle(conn: Connection, hm: HttpMessage): void {
  requests++;
  const { method, uri } = hm;
  const one = /^\/api\/items\/(\d+)$/.exec(uri);
  if (method === "GET" && uri === "/api/stats") {
    conn.replyJson({ uptimeMs: Date.now() - started, requests, items: items.size });
  } else if (uri === "/api/items" && method === "GET") {
    conn.replyJson([...items.values()]);
  } else if (uri === "/api/items" && method === "POST") {
    let name: unknown;
    try {
      name = (JSON.parse(hm.bodyText) as { name?: unknown }).name;
    } catch {
      name = undefined;
    }
    if (typeof name !== "string" || name === "") {
      conn.replyJson({ error: 'body must be JSON {"name": "..."}' }, 400);
      return;
    }
    const item = { id: nextId++, name };
    items.set(item.id, item);
    conn.replyJson(item, 201, { Location: `/api/items/${item.id}` });
  } else if (one && method === "GET") {
    const item = items.get(Number(one[1]));
    if (item) conn.replyJson(item);
    else conn.replyJson({ error: "no such item" }, 404);
  } else if (one && method === "DELETE") {
    if (items.delete(Number(one[1]))) conn.reply(204);
    else conn.replyJson({ error: "no such item" }, 404);
  } else if (uri === "/api/secret" && method === "GET") {
    const creds = hm.creds();
    const ok = creds !== undefined && ((creds.user === user && creds.pass === pass) || (creds.user === "" && creds.pass === token));
    if (ok) conn.replyJson({ secret: 42, user: creds.user || "(token)" });
    else conn.replyJson({ error: "unauthorized" }, 401, { "WWW-Authenticate": 'Basic realm="api"' });
  } else {
    conn.replyJson({ error: `no route for ${method} ${uri}` }, 404);
  }
}

await init();
const mgr = new Manager((conn, ev, data) => {
  if (ev === MG_EV_HTTP_MSG) handle(conn, data as HttpMessage);
});
const listener = mgr.listen(`http://127.0.0.1:${port}`);
console.log(`Server running on http://127.0.0.1:${listener.localAddr.port}`);
console.log("Press Ctrl+C to stop");
const report = await mgr.run();
console.log(`Server stopped (${report.completed} requests completed)`);
