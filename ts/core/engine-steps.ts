// engine-steps.ts: the engine's per-event protocol steps, reached through the
// table the protocols register (protocols.ts), so the core loads without any
// protocol. A step whose protocol is not loaded has nothing to do (no
// connection can be in its state). Each step forwards all of its arguments,
// so a parameter a protocol adds later is never dropped on the way.
import { protocol, protocols, type ProtocolTable } from "./protocols";
import type * as HttpStream from "../http/http-stream";

type Http = ProtocolTable["http"];
type Tls = ProtocolTable["tls"];
type Udp = ProtocolTable["udp"];

/** http/http-stream.ts's pseudo-event; the type makes the compiler check that the two agree. */
export const EV_HTTP_BODY: typeof HttpStream.EV_HTTP_BODY = 1002;
export const tlsOnAccept = (...a: Parameters<Tls["tlsOnAccept"]>): void => protocols.tls?.tlsOnAccept(...a);
export const tlsOnAccepted = (...a: Parameters<Tls["tlsOnAccepted"]>): void => protocols.tls?.tlsOnAccepted(...a);
export const tlsOnConnect = (...a: Parameters<Tls["tlsOnConnect"]>): void => protocols.tls?.tlsOnConnect(...a);
export const bodyWritable = (...a: Parameters<Http["bodyWritable"]>): boolean => protocols.http !== undefined && protocols.http.bodyWritable(...a);
export const cancelBody = (...a: Parameters<Http["cancelBody"]>): void => protocols.http?.cancelBody(...a);
export const beforeEvent = (...a: Parameters<Http["beforeEvent"]>): ReturnType<Http["beforeEvent"]> | undefined => protocols.http?.beforeEvent(...a);
export const handlerFailed = (...a: Parameters<Http["handlerFailed"]>): ReturnType<Http["handlerFailed"]> | undefined => protocols.http?.handlerFailed(...a);
export const routeBody = (...a: Parameters<Http["routeBody"]>): ReturnType<Http["routeBody"]> => protocol("http").routeBody(...a);
export const endBody = (...a: Parameters<Http["endBody"]>): ReturnType<Http["endBody"]> | undefined => protocols.http?.endBody(...a);
export const udpDeliver = (...a: Parameters<Udp["udpDeliver"]>): ReturnType<Udp["udpDeliver"]> => protocol("udp").udpDeliver(...a);
