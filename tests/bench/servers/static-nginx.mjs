// nginx serving a web root (argv[2]) for the static bench: one worker, no
// master (one process, as the Node servers), sendfile, open_file_cache on
// (what our small-file cache is held against), keep-alive without a request
// cap. This wrapper picks a free port, starts nginx, reports ready over IPC
// and stops nginx when told. BENCH_PIN_CPU=<n> runs nginx on that CPU.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveIpc } from "./common.mjs";

const root = process.argv[2];
const dir = mkdtempSync(join(tmpdir(), "tsmongoose-bench-nginx-"));

const port = await new Promise((resolve, reject) => {
  const s = createServer();
  s.once("error", reject);
  s.listen(0, "127.0.0.1", () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});

const conf = join(dir, "nginx.conf");
writeFileSync(conf, `daemon off; master_process off; worker_processes 1;
pid ${dir}/nginx.pid; error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off; default_type application/octet-stream;
  sendfile on; tcp_nopush on; keepalive_requests 1000000; keepalive_timeout 120s;
  open_file_cache max=1000 inactive=20s; open_file_cache_valid 1s; open_file_cache_errors on;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  server { listen 127.0.0.1:${port}; root ${root}; }
}
`);

const pinCpu = process.env.BENCH_PIN_CPU;
const [cmd, args] = pinCpu ? ["taskset", ["-c", pinCpu, "nginx"]] : ["nginx", []];
const nginx = spawn(cmd, [...args, "-p", dir, "-c", conf], { stdio: ["ignore", "inherit", "inherit"] });
const cleanup = () => rmSync(dir, { recursive: true, force: true });
nginx.once("exit", (code) => {
  if (!stopping) {
    let log = "";
    try { log = readFileSync(join(dir, "error.log"), "utf8"); } catch { /* none */ }
    console.error(`nginx exited (${code}) ${log}`);
    cleanup();
    process.exit(1);
  }
});
let stopping = false;
process.on("exit", () => { if (nginx.exitCode === null) nginx.kill("SIGKILL"); });

// Ready once it accepts connections.
const deadline = Date.now() + 15_000;
for (;;) {
  const ok = await new Promise((resolve) => {
    const s = connect(port, "127.0.0.1", () => { s.destroy(); resolve(true); });
    s.once("error", () => resolve(false));
  });
  if (ok) break;
  if (Date.now() > deadline) throw new Error("nginx did not listen in 15 s");
  await new Promise((r) => setTimeout(r, 50));
}

const stop = () => new Promise((resolve) => {
  stopping = true;
  if (nginx.exitCode !== null) return resolve();
  nginx.once("exit", () => resolve());
  nginx.kill("SIGTERM");
}).then(cleanup);
process.on("disconnect", () => { void stop(); });
serveIpc(port, stop, "nginx 1 worker, sendfile, open_file_cache");
