// register.ts: puts udp:// and SNTP into the core's protocol table (core/protocols.ts).
import { registerProtocol } from "../core/protocols";
import * as udp from "./udp";
import * as sntp from "./sntp";

registerProtocol("udp", { ...udp });
registerProtocol("sntp", { ...sntp });
