// hono-app.ts: a Hono app (routes, params, JSON, middleware, server-sent
// events, a 404 handler) served by tsmongoose's serve(), with graceful
// shutdown built in: on SIGINT/SIGTERM the listener closes, requests in
// flight (an event stream included) finish, and the shutdown report is
// printed. A second signal force-closes at once.
//
//   npm run build && PORT=3000 node build/examples/hono-app.mjs
//   curl localhost:3000/users/42
//   curl -N localhost:3000/events
//
// Environment: PORT (default 3000; 0 = any free port), HOST (default
// 127.0.0.1), EVENTS (events per /events stream, default 5), EVENT_MS
// (between events, default 200), SHUTDOWN_TIMEOUT_MS (default 10000).
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { serve } from "tsmongoose";

const EVENTS = Number(process.env.EVENTS ?? 5);
const EVENT_MS = Number(process.env.EVENT_MS ?? 200);

const app = new Hono();

// Middleware: time every request.
app.use("*", async (c, next) => {
  const t0 = performance.now();
  await next();
  c.header("X-Response-Time", `${(performance.now() - t0).toFixed(1)}ms`);
});

app.get("/", (c) => c.text("Hello from Hono on tsmongoose!\n"));
app.get("/users/:id", (c) => c.json({ id: Number(c.req.param("id")), name: `user ${c.req.param("id")}` }));
app.post("/echo", async (c) => c.json({ received: await c.req.json() }, 201));

// A streamed response: EVENTS server-sent events, EVENT_MS apart.
app.get("/events", (c) => streamSSE(c, async (stream) => {
  for (let i = 1; i <= EVENTS; i++) {
    await stream.writeSSE({ event: "tick", data: String(i), id: String(i) });
    if (i < EVENTS) await stream.sleep(EVENT_MS);
  }
}));

app.notFound((c) => c.json({ error: "not found", path: c.req.path }, 404));

const server = serve({
  fetch: app.fetch,
  port: Number(process.env.PORT ?? 3000),
  hostname: process.env.HOST ?? "127.0.0.1",
  shutdownTimeoutMs: Number(process.env.SHUTDOWN_TIMEOUT_MS ?? 10_000),
}, (addr) => {
  console.log(`Server running on http://${addr.address}:${addr.port}`);
  console.log("Press Ctrl+C to stop");
});

server.manager.onShutdown((signal) => {
  console.log(`Received ${signal}, finishing requests in flight...`);
});

// Resolves once a signal's graceful shutdown is over.
const report = await server.finished;
console.log(`shutdown report: ${JSON.stringify(report)}`);
console.log("Server stopped cleanly");
