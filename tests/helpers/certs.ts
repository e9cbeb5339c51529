// certs.ts: certificates for the TLS suites, made with Debian's `openssl`
// into a temp dir: a CA, server certificates for 127.0.0.1/::1/localhost
// (plus a rotated one), one for another SNI name, an expired one, one for
// the wrong host, a client certificate, and a second CA nobody trusts with
// a client certificate of its own.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireTool } from "./tools";

/** A certificate and its key: PEM text and file paths. */
export interface CertPair {
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
}

/** Everything the TLS suites need. */
export interface Certs {
  dir: string;
  ca: CertPair;
  /** A CA nobody trusts. */
  otherCa: CertPair;
  /** CN localhost; SANs 127.0.0.1, ::1, localhost. */
  server: CertPair;
  /** Same SANs, CN "rotated": what a hot reload switches to. */
  rotated: CertPair;
  /** SAN other.test only (SNI). */
  other: CertPair;
  /** SANs as `server`, valid January 2020 only. */
  expired: CertPair;
  /** SAN wrong.example only. */
  wrongHost: CertPair;
  /** CN client, clientAuth, signed by `ca`. */
  client: CertPair;
  /** A client certificate signed by `otherCa`. */
  rogueClient: CertPair;
  /** Remove the directory. */
  cleanup(): void;
}

const LOCAL_SANS = "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost";

/** Fail at once, naming the set-up step (scripts/tools.sh), when `openssl` is missing. */
export function ensureOpenssl(): void {
  requireTool("openssl");
}

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

function pair(dir: string, name: string): CertPair {
  const certFile = join(dir, `${name}.crt`), keyFile = join(dir, `${name}.key`);
  return { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8"), certFile, keyFile };
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

function makeCa(dir: string, name: string, cn: string): CertPair {
  openssl(dir, ["req", "-x509", ...EC, "-keyout", `${name}.key`, "-out", `${name}.crt`, "-days", "30", "-subj", `/CN=${cn}`,
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  return pair(dir, name);
}

/** A leaf signed by CA `ca` with extension lines `ext`; `dates`: [start, end] for an `openssl ca` signing. */
function makeLeaf(dir: string, ca: string, name: string, cn: string, ext: string[], dates?: [string, string]): CertPair {
  openssl(dir, ["req", ...EC, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`]);
  writeFileSync(join(dir, `${name}.ext`), ext.join("\n") + "\n");
  if (dates === undefined) {
    openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial",
      "-out", `${name}.crt`, "-days", "30", "-extfile", `${name}.ext`]);
  } else {
    // `openssl ca` is the one that takes explicit validity dates (OpenSSL 3.0).
    mkdirSync(join(dir, "db"), { recursive: true });
    writeFileSync(join(dir, "db", "index.txt"), "");
    writeFileSync(join(dir, "db", "serial"), "1000\n");
    writeFileSync(join(dir, "ca.cnf"), ["[ca]", "default_ca = d", "[d]", "database = db/index.txt", "new_certs_dir = db",
      "serial = db/serial", "default_md = sha256", "policy = p", "unique_subject = no", "[p]", "commonName = supplied", ""].join("\n"));
    openssl(dir, ["ca", "-batch", "-config", "ca.cnf", "-cert", `${ca}.crt`, "-keyfile", `${ca}.key`, "-in", `${name}.csr`,
      "-out", `${name}.crt`, "-startdate", dates[0], "-enddate", dates[1], "-notext", "-extfile", `${name}.ext`]);
  }
  return pair(dir, name);
}

/** Generate the whole set (about a second). */
export function makeCerts(): Certs {
  ensureOpenssl();
  const dir = mkdtempSync(join(tmpdir(), "tsmongoose-tls-"));
  const serverExt = [LOCAL_SANS, "extendedKeyUsage=serverAuth"];
  const ca = makeCa(dir, "ca", "tsmongoose test CA");
  const otherCa = makeCa(dir, "other-ca", "nobody trusts this CA");
  return {
    dir, ca, otherCa,
    server: makeLeaf(dir, "ca", "server", "localhost", serverExt),
    rotated: makeLeaf(dir, "ca", "rotated", "rotated", serverExt),
    other: makeLeaf(dir, "ca", "other", "other.test", ["subjectAltName=DNS:other.test", "extendedKeyUsage=serverAuth"]),
    expired: makeLeaf(dir, "ca", "expired", "localhost", serverExt, ["20200101000000Z", "20200201000000Z"]),
    wrongHost: makeLeaf(dir, "ca", "wrong", "wrong.example", ["subjectAltName=DNS:wrong.example", "extendedKeyUsage=serverAuth"]),
    client: makeLeaf(dir, "ca", "client", "client", ["extendedKeyUsage=clientAuth"]),
    rogueClient: makeLeaf(dir, "other-ca", "rogue", "rogue", ["extendedKeyUsage=clientAuth"]),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
