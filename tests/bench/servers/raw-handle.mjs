// The raw libuv-handle ceiling: the raw node:net server's logic on the TCP
// handles node:net itself is built on (process.binding('tcp_wrap')), with no
// stream layer. tsmongoose's default transport talks to the same handles, so
// this bounds it the way raw node:net bounds a node:net based server.
//
// Mode (argv[2]): as raw-net.mjs.
import { cannedResponse, countHeads, countUploads, serveRawHandles } from "./raw-common.mjs";

const { WriteWrap, streamBaseState, kReadBytesOrError, kArrayBufferOffset } = process.binding("stream_wrap");

const mode = process.argv[2] ?? "hello";
const response = cannedResponse(mode);
const count = mode === "upload" ? countUploads : countHeads;

function onWritten(status) {
  if (status < 0) this.client.close();
}

function onRead(arrayBuffer) {
  const nread = streamBaseState[kReadBytesOrError];
  if (nread < 0) {
    handles.delete(this); // EOF (UV_EOF) or an error: done
    this.close();
    return;
  }
  if (nread === 0 || arrayBuffer === undefined) return;
  const n = count(this.state, Buffer.from(arrayBuffer, streamBaseState[kArrayBufferOffset], nread));
  if (n === 0) return;
  const req = new WriteWrap();
  req.oncomplete = onWritten;
  req.client = this;
  req.buffer = n === 1 ? response : Buffer.concat(new Array(n).fill(response)); // kept alive while pending
  if (this.writeBuffer(req, req.buffer) < 0) { handles.delete(this); this.close(); }
}

const handles = serveRawHandles("raw-handle", onRead, (client) => { client.state = { carry: 0, remaining: 0, pending: "" }; });
