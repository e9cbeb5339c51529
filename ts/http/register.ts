// register.ts: puts HTTP into the core's protocol table (core/protocols.ts):
// header blocks, the HttpMessage view, streamed bodies, the request guard and
// static files. Loaded by the entries; the core never imports it.
import { registerProtocol } from "../core/protocols";
import { formatHeaders, hasHeader } from "./headers";
import { HttpMessage } from "./http-message";
import { endBody, routeBody, streamBody, strictHttp } from "./http-stream";
import { beforeEvent, checkNotAnswered, guardedReply, handlerFailed } from "./request-guard";
import { bodyWritable, cancelBody, replyHost, serveDir, serveFile } from "./static";

registerProtocol("http", {
  formatHeaders, hasHeader, HttpMessage, strictHttp, streamBody, routeBody, endBody,
  checkNotAnswered, guardedReply, beforeEvent, handlerFailed, replyHost, serveDir, serveFile, bodyWritable, cancelBody,
});
