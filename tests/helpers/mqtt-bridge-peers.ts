// mqtt-bridge-peers.ts: what the bridge tests import: mqtt-peers.ts (whose
// startMosquitto also restarts an upstream on the same port and directory)
// and the absolute path of a Debian tool.
import { ensureTool, freePort, mqttTestBed, runTool, startMosquitto, until, waitForPort, type Mosquitto } from "./mqtt-peers";
import { requireTool } from "./tools";

export { ensureTool, freePort, mqttTestBed, runTool, startMosquitto, until, waitForPort, type Mosquitto };

/** The absolute path of a Debian tool (mosquitto_pub...). */
export function requireToolPath(tool: string): string {
  return requireTool(tool);
}
