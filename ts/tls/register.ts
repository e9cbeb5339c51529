// register.ts: puts TLS into the core's protocol table (core/protocols.ts).
// Without it, TLS URLs (https://, wss://, mqtts://, tls://) do not parse:
// a URL that says TLS never carries plaintext.
import { registerProtocol } from "../core/protocols";
import {
  checkConnectTls, checkListenTls, checkTlsUrlListen, isTlsScheme, setClientTls, setListenerParams, setTlsContext, tlsFree, tlsInit, tlsOnAccept, tlsOnAccepted, tlsOnConnect,
} from "./tls";

registerProtocol("tls", {
  isTlsScheme, tlsInit, tlsFree, checkListenTls, checkTlsUrlListen, checkConnectTls, setListenerParams, setClientTls, setTlsContext,
  tlsOnAccept, tlsOnAccepted, tlsOnConnect,
});
