// tls-example.test.ts: examples/https-server.ts runs as its own process, as
// a user runs it: curl with the CA gets an answer, SIGHUP after the
// certificate files changed rotates the certificate for new connections
// (an unusable file is refused and the old one kept), SIGTERM exits 0.
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as tls from "node:tls";
import { makeCerts, type Certs } from "./helpers/certs";
import { curl } from "./helpers/curl";
import { waitFor } from "./helpers/server";

const SCRIPT = join(__dirname, "..", "build", "examples", "https-server.mjs");

let certs: Certs;
beforeAll(() => { certs = makeCerts(); });
afterAll(() => certs?.cleanup());

function peerCn(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: "127.0.0.1", port, ca: certs.ca.cert }, () => {
      resolve(String(s.getPeerCertificate().subject.CN));
      s.end();
    });
    s.on("error", reject);
  });
}

test("examples/https-server: serves over TLS, rotates its certificate on SIGHUP, exits 0 on SIGTERM", async () => {
  if (!existsSync(SCRIPT)) throw new Error(`${SCRIPT} is missing: run node scripts/build.mjs first`);
  const cert = join(certs.dir, "live.crt"), key = join(certs.dir, "live.key");
  copyFileSync(certs.server.certFile, cert);
  copyFileSync(certs.server.keyFile, key);
  const child = spawn(process.execPath, [SCRIPT], { env: { ...process.env, PORT: "0", TLS_CERT: cert, TLS_KEY: key },
    stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => { out += d; });
  child.stderr.setEncoding("utf8").on("data", (d: string) => { out += d; });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    await waitFor(() => out.includes("Press Ctrl+C to stop"), 10_000, "the example to start");
    const port = Number(/Server running on https:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    const r = await curl(["-s", "--cacert", certs.ca.certFile, `https://localhost:${port}/hi`]);
    expect(r.stdout.toString()).toBe("Hello over TLS from /hi\n");
    expect(await peerCn(port)).toBe("localhost");

    writeFileSync(cert, "not a certificate");
    child.kill("SIGHUP");
    await waitFor(() => out.includes("Certificate not reloaded"), 5000, "the refusal");
    expect(await peerCn(port)).toBe("localhost");

    copyFileSync(certs.rotated.certFile, cert);
    copyFileSync(certs.rotated.keyFile, key);
    child.kill("SIGHUP");
    await waitFor(() => out.includes("Certificate reloaded"), 5000, "the reload");
    expect(await peerCn(port)).toBe("rotated");

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(out).toContain("Server stopped cleanly");
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
  }
});
