// runner.ts: runs interoperability cases against one broker URL, one case
// after another (they share client ids with the broker's session state), each
// under a deadline, and formats the score lines and tables.
import { randomBytes } from "node:crypto";
import { coreCases } from "./cases-core";
import { v5PropertyCases } from "./cases-v5-props";
import { v5SessionCases } from "./cases-v5-session";
import { v5LimitCases } from "./cases-v5-limits";
import { CaseFailure, type Ctx, type InteropCase, type Version } from "./harness";

/** Paho's suites: client_test.py (3.1.1) and client_test5.py (5). */
export const SUITES: Record<Version, InteropCase[]> = {
  4: coreCases,
  5: [...coreCases, ...v5SessionCases, ...v5PropertyCases, ...v5LimitCases],
};

/**
 * Cases ours must pass even where mosquitto 2.0.11 fails them, each for a
 * point issue #25 asks of the broker: the highest granted QoS for
 * overlapping filters (MQTT-3.3.5-1; mosquitto sends 3.1.1 clients the last
 * match's), a refused subscription (the authorize hook, returning 0x80;
 * mosquitto's ACL cannot refuse one), the will sent at the sooner of Will Delay and Session
 * Expiry (MQTT-3.1.3-9; mosquitto waits for the delay), topic aliases from
 * the server, and DISCONNECT 0x93 past the broker's Receive Maximum
 * (mosquitto answers PUBREC 0x97 and stays).
 */
export const BEYOND_MOSQUITTO: Record<Version, string[]> = {
  4: ["overlapping_subscriptions", "subscribe_failure"],
  5: ["subscribe_failure", "will_delay", "server_topic_alias", "flow_control2"],
};

/** The cases ours failed that it must pass: those mosquitto passes, and BEYOND_MOSQUITTO. */
export function regressions(version: Version, ours: CaseResult[], mosq: CaseResult[]): string[] {
  return ours
    .filter((r) => !r.ok && (mosq.find((m) => m.name === r.name)?.ok || BEYOND_MOSQUITTO[version].includes(r.name)))
    .map((r) => `${r.name}: ${r.error}`);
}

export interface CaseResult { name: string; version: Version; ok: boolean; ms: number; error?: string; notes: string[] }

export interface RunOptions {
  /** The filter the broker refuses to subscribe (the broker must be configured for it). */
  nosubscribe?: Partial<Record<Version, string>>;
  /** Only these case names. */
  only?: string[];
  /** Deadline per case (ms). */
  caseTimeoutMs?: number;
}

/** Paho's refused filters, per version. */
export const NOSUBSCRIBE: Record<Version, string> = { 4: "nosubscribe", 5: "test/nosubscribe" };

/** Run one version's cases against `url` (mqtt://host:port). */
export async function runSuite(url: string, version: Version, opts: RunOptions = {}): Promise<CaseResult[]> {
  const u = new URL(url);
  const run = randomBytes(3).toString("hex");
  const results: CaseResult[] = [];
  for (const [i, c] of SUITES[version].entries()) {
    if (opts.only && !opts.only.includes(c.name)) continue;
    const tag = `v${version}-${i}-${run}`;
    const notes: string[] = [];
    const prefix = `interop/${tag}/`;
    const ctx: Ctx = {
      url, host: u.hostname, port: Number(u.port || 1883), version, prefix,
      topics: ["TopicA", "TopicA/B", "Topic/C", "TopicA/C", "/TopicA"].map((t) => prefix + t),
      wild: ["TopicA/+", "+/C", "#", "/#", "/+", "+/+", "TopicA/#"].map((t) => prefix + t),
      nosubscribe: opts.nosubscribe?.[version] ?? NOSUBSCRIBE[version],
      idA: `myclientid-${tag}`, idB: `myclientid2-${tag}`, closers: [], note: (l) => notes.push(l),
    };
    const start = Date.now();
    const limit = opts.caseTimeoutMs ?? 20_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        c.run(ctx),
        new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new CaseFailure(`case deadline of ${limit} ms passed`)), limit); }),
      ]);
      results.push({ name: c.name, version, ok: true, ms: Date.now() - start, notes });
    } catch (err) {
      const msg = err instanceof CaseFailure ? err.message : `${(err as Error).name}: ${(err as Error).message}`;
      results.push({ name: c.name, version, ok: false, ms: Date.now() - start, error: msg, notes });
    } finally {
      clearTimeout(timer);
      for (const close of ctx.closers.reverse()) { try { close(); } catch { /* already closed */ } }
    }
  }
  return results;
}

export const score = (rs: CaseResult[]): string => `${rs.filter((r) => r.ok).length}/${rs.length}`;

/** "interop 3.1.1: ours 10/10, mosquitto 8/10" */
export function scoreLine(version: Version, ours: CaseResult[], mosq: CaseResult[]): string {
  return `interop ${version === 4 ? "3.1.1" : "5"}: ours ${score(ours)}, mosquitto ${score(mosq)}`;
}

/** A table: one row per case, both brokers side by side. */
export function table(version: Version, ours: CaseResult[], mosq: CaseResult[]): string {
  const rows = [`MQTT ${version === 4 ? "3.1.1" : "5"} (Paho ${version === 4 ? "client_test.py" : "client_test5.py"})`];
  const w = Math.max(...ours.map((r) => r.name.length), 10);
  rows.push(`  ${"case".padEnd(w)}  ${"ours".padEnd(14)}mosquitto`);
  for (const r of ours) {
    const m = mosq.find((x) => x.name === r.name);
    const cell = (x?: CaseResult): string => (x ? `${x.ok ? "pass" : "FAIL"} ${String(x.ms).padStart(5)}ms` : "-").padEnd(14);
    rows.push(`  ${r.name.padEnd(w)}  ${cell(r)}${cell(m)}`);
  }
  rows.push(`  ${"score".padEnd(w)}  ${score(ours).padEnd(14)}${score(mosq)}`);
  const detail = (who: string, rs: CaseResult[]): void => {
    for (const r of rs) {
      if (!r.ok) rows.push(`  ${who} ${r.name}: ${r.error}`);
      for (const n of r.notes) rows.push(`  ${who} ${r.name}: note: ${n}`);
    }
  };
  detail("ours", ours);
  detail("mosquitto", mosq);
  return rows.join("\n");
}
