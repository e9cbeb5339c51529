// static-server.cjs: a tiny static file server on 127.0.0.1 for the browser
// tests and `npm run harness`. Plain CommonJS so that both jest (ts-jest,
// CommonJS) and scripts/harness.mjs can load it without a build step.
"use strict";
const http = require("node:http");
const fs = require("node:fs");
const path = require("node:path");

/** Content types by extension; application/wasm lets browsers stream-compile. */
const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".cjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * Starts the server. `mounts` maps URL prefixes ("/dist/") to directories,
 * `files` maps exact URL paths to files (checked first); `index` is where "/"
 * redirects. Resolves to { url, port, close() }.
 * @param {{ mounts: Record<string, string>, files?: Record<string, string>, index?: string, port?: number }} opts
 */
function startStaticServer(opts) {
  const mounts = Object.entries(opts.mounts).sort((a, b) => b[0].length - a[0].length);
  const server = http.createServer((req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url || "/", "http://x").pathname);
    if (urlPath === "/" && opts.index) {
      res.writeHead(302, { Location: opts.index }).end();
      return;
    }
    const mount = mounts.find(([prefix]) => urlPath.startsWith(prefix));
    const exact = opts.files && Object.prototype.hasOwnProperty.call(opts.files, urlPath) ? opts.files[urlPath] : undefined;
    if ((!mount && !exact) || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
      return;
    }
    let file = exact;
    if (!file) {
      const root = path.resolve(mount[1]);
      file = path.resolve(root, "." + urlPath.slice(mount[0].length - 1));
      // Refuse anything that escapes the mounted directory ("..", symlinks aside).
      if (file !== root && !file.startsWith(root + path.sep)) {
        res.writeHead(403, { "Content-Type": "text/plain" }).end("forbidden\n");
        return;
      }
    }
    fs.stat(file, (err, st) => {
      if (err || !st.isFile()) {
        res.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
        return;
      }
      res.writeHead(200, {
        "Content-Type": MIME[path.extname(file).toLowerCase()] || "application/octet-stream",
        "Content-Length": st.size,
        "Cache-Control": "no-store",
      });
      if (req.method === "HEAD") res.end();
      else fs.createReadStream(file).pipe(res);
    });
  });
  const sockets = new Set();
  server.on("connection", (s) => { sockets.add(s); s.on("close", () => sockets.delete(s)); });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port || 0, "127.0.0.1", () => {
      const port = server.address().port;
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        close: () => new Promise((done) => {
          for (const s of sockets) s.destroy();
          server.close(() => done());
        }),
      });
    });
  });
}

module.exports = { startStaticServer, MIME };
