// register.ts: puts HTTP into the core's protocol table (core/protocols.ts):
// header blocks, the HttpMessage view, streamed bodies, the request guard and
// static files. Loaded by the entries; the core never imports it.
import { registerProtocol } from "../core/protocols";
import * as headers from "./headers";
import * as message from "./http-message";
import * as stream from "./http-stream";
import * as guard from "./request-guard";
import * as statics from "./static";

registerProtocol("http", { ...headers, ...message, ...stream, ...guard, ...statics });
