// The bench's Hono app on tsmongoose: serve() (fetchHandler + run()).
import { init, serve } from "tsmongoose";
import { makeApp } from "./hono-app.mjs";
import { serveIpc } from "./common.mjs";

await init();
const server = serve({ fetch: makeApp().fetch, port: 0, hostname: "127.0.0.1", signals: [] });
serveIpc(server.port, async () => { server.manager.close(); }, "serve({ fetch: app.fetch })");
