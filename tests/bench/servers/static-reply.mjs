// The static bench's in-memory ceiling for a small file: tsmongoose answering
// every GET with reply() of 2 KiB held in memory, with the head serveDir
// sends for that file (Content-Type, Vary, Last-Modified, Etag,
// Accept-Ranges). serveDir answering the same file from its cache cannot be
// cheaper than this: what remains between it and the hello rate is the
// bigger answer itself (argv[2], the web root, is not read).
import { init, Manager, MG_EV_HTTP_MSG } from "tsmongoose";
import { serveIpc } from "./common.mjs";

const BODY = Buffer.alloc(2048, "x");
const HEAD = "Content-Type: application/octet-stream\r\nVary: Accept-Encoding\r\n" +
  `Last-Modified: ${new Date().toUTCString()}\r\nEtag: "6b170873.800"\r\nAccept-Ranges: bytes\r\n`;
await init();
const mgr = new Manager((conn, ev) => {
  if (ev === MG_EV_HTTP_MSG) conn.reply(200, BODY, HEAD);
});
const listener = mgr.listen("http://127.0.0.1:0");
void mgr.run({ signals: [] });
serveIpc(listener.localAddr.port, async () => { mgr.close(); }, "reply() of 2 KiB from memory, driven by run()");
