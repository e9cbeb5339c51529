// async-manager.ts: the auto-driven manager as an async resource. No poll
// loop: AsyncManager drives itself; leaving the `await using` block disposes
// it, which is a graceful shutdown with a hard limit. While handlers are
// still busy it emits a ShutdownWarning every retryInterval naming them (Node
// prints warnings to stderr, i.e. the service's log); at shutdownTimeout a
// final warning, then the rest is force-closed. Handlers that finish in time
// give a quiet, normal close.
//
// / answers at once; /slow after SLOW_MS (default 3000) of async work; /hang
// never answers (to watch the warnings and the force-close). PORT (default
// 8000; 0 = any free port), SHUTDOWN_TIMEOUT_MS (default 10 000),
// RETRY_INTERVAL_MS (default 5000). A second Ctrl+C exits at once.
import { AsyncManager, MG_EV_HTTP_MSG } from "tsmongoose";
import type { Connection, HttpMessage } from "tsmongoose";

const port = Number(process.env.PORT ?? 8000);
const slowMs = Number(process.env.SLOW_MS ?? 3000);
const shutdownTimeout = Number(process.env.SHUTDOWN_TIMEOUT_MS ?? 10_000);
const retryInterval = Number(process.env.RETRY_INTERVAL_MS ?? 5000);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the first SIGINT/SIGTERM; the handlers remove themselves, so a second one kills at once. */
function shutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      resolve(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

async function handler(conn: Connection, ev: number, data: unknown): Promise<void> {
  if (ev !== MG_EV_HTTP_MSG) return;
  const uri = (data as HttpMessage).uri; // copy what you need before the first await
  if (uri === "/slow") {
    await sleep(slowMs); // a database call, say
    if (!conn.closed) conn.reply(200, `Slow hello after ${slowMs} ms\n`);
  } else if (uri === "/hang") {
    await new Promise(() => {}); // a handler stuck for good
  } else {
    conn.reply(200, "Hello, World!\n");
  }
}

const signal = shutdownSignal();
{
  await using am = new AsyncManager(handler, { shutdownTimeout, retryInterval });
  const listener = await am.listen(`http://127.0.0.1:${port}`);
  console.log(`Server running on http://127.0.0.1:${listener.localAddr.port}`);
  console.log("Press Ctrl+C to stop");
  console.log(`Received ${await signal}, shutting down...`);
} // leaving the block runs am[Symbol.asyncDispose]()
console.log("Server stopped cleanly");
