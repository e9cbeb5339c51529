// The bench's Hono app on @hono/node-server (its defaults: lightweight
// Request/Response globals, node:http underneath).
import { serve } from "@hono/node-server";
import { makeApp } from "./hono-app.mjs";
import { serveIpc } from "./common.mjs";

const server = serve({ fetch: makeApp().fetch, port: 0, hostname: "127.0.0.1" }, (info) => {
  serveIpc(info.port, () => new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  }), "@hono/node-server serve({ fetch: app.fetch })");
});
