// The raw node:net ceiling: no HTTP parsing at all. Every 'data' event is
// answered with one canned response per request head found in the chunk
// ("\r\n\r\n" counted, with the partial match carried across chunks so
// pipelined and split requests stay correct). Nothing a node:net based
// server does per request can be cheaper, so its rate bounds any shim.
//
// Mode (argv[2]): "hello" (13-byte body), "100k" (100 KiB body) or "upload"
// (requests carry a Content-Length body that is skipped before answering).
import { createServer } from "node:net";
import { serveIpc } from "./common.mjs";
import { cannedResponse, countHeads, countUploads } from "./raw-common.mjs";

const mode = process.argv[2] ?? "hello";
const response = cannedResponse(mode);
const count = mode === "upload" ? countUploads : countHeads;
const server = createServer((socket) => {
  const st = { carry: 0, remaining: 0, pending: "" };
  socket.on("data", (chunk) => {
    const n = count(st, chunk);
    if (n === 1) socket.write(response);
    else if (n > 1) socket.write(Buffer.concat(new Array(n).fill(response)));
  });
  socket.on("error", () => socket.destroy());
});
server.listen(0, "127.0.0.1", () => {
  serveIpc(server.address().port, async () => { server.close(); });
});
