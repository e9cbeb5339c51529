// cli.ts: the interoperability suite for humans (npm run interop). With a
// broker URL it runs both versions against that broker; without, it starts
// mosquitto and ours and prints the two score tables side by side.
import { startInteropMosquitto, startOurBroker, type RunningBroker } from "./brokers";
import { regressions, runSuite, score, scoreLine, table } from "./runner";
import type { Version } from "./harness";

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const only = args.filter((a) => a.startsWith("--case=")).map((a) => a.slice(7));
  const url = args.find((a) => /^mqtt:\/\//.test(a));
  const opts = { only: only.length ? only : undefined };
  if (url) {
    let failed = 0;
    for (const v of [4, 5] as Version[]) {
      const rs = await runSuite(url, v, opts);
      failed += rs.filter((r) => !r.ok).length;
      console.log(`MQTT ${v === 4 ? "3.1.1" : "5"} against ${url}: ${score(rs)}`);
      for (const r of rs) console.log(`  ${r.ok ? "pass" : "FAIL"} ${r.name} (${r.ms} ms)${r.error ? `: ${r.error}` : ""}${r.notes.map((n) => `\n       note: ${n}`).join("")}`);
    }
    return failed ? 1 : 0;
  }
  const brokers: RunningBroker[] = [];
  // Ctrl+C, or a closed pipe (| head), must not leave the brokers running.
  process.on("exit", () => { for (const b of brokers) b.kill(); });
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(sig, () => process.exit(130));
  process.stdout.on("error", () => process.exit(1));
  try {
    const ours = await startOurBroker();
    brokers.push(ours);
    const mosq = await startInteropMosquitto();
    brokers.push(mosq);
    const lines: string[] = [];
    let behind = 0;
    for (const v of [4, 5] as Version[]) {
      const [o, m] = await Promise.all([runSuite(ours.url, v, opts), runSuite(mosq.url, v, opts)]);
      console.log(`${table(v, o, m)}\n`);
      lines.push(scoreLine(v, o, m));
      behind += regressions(v, o, m).length;
    }
    for (const l of lines) console.log(l);
    return behind ? 1 : 0; // as the jest suite: ours failed a case it must pass
  } finally {
    for (const b of brokers) await b.stop();
  }
}

main().then((code) => process.exit(code), (err: unknown) => { console.error(err); process.exit(1); });
