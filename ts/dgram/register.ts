// register.ts: puts udp:// and SNTP into the core's protocol table (core/protocols.ts).
import { registerProtocol } from "../core/protocols";
import { udpConnect, udpDeliver, udpListen, udpSend } from "./udp";
import { sntpConnect, sntpRequest } from "./sntp";

registerProtocol("udp", { udpSend, udpDeliver, udpListen, udpConnect });
registerProtocol("sntp", { sntpRequest, sntpConnect });
