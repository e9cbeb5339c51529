// register.ts: puts TLS into the core's protocol table (core/protocols.ts).
// Without it, TLS URLs (https://, wss://, mqtts://, tls://) do not parse:
// a URL that says TLS never carries plaintext.
import { registerProtocol } from "../core/protocols";
import * as tls from "./tls";

registerProtocol("tls", { ...tls });
