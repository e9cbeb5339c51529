// tsmongoose serving a web root with serveDir (argv[2] = the root).
import { init, Manager, MG_EV_HTTP_MSG } from "tsmongoose";
import { serveIpc } from "./common.mjs";

const root = process.argv[2];
await init();
const mgr = new Manager((conn, ev, hm) => {
  if (ev === MG_EV_HTTP_MSG) conn.serveDir(hm, root);
});
const listener = mgr.listen("http://127.0.0.1:0");
void mgr.run({ signals: [] });
serveIpc(listener.localAddr.port, async () => { mgr.close(); }, "serveDir, driven by run()");
