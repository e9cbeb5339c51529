/** A running static server (see static-server.cjs). */
export interface StaticServer {
  /** "http://127.0.0.1:PORT", no trailing slash. */
  url: string;
  port: number;
  /** Stops listening and destroys open sockets. */
  close(): Promise<void>;
}
/** Serves `files` (exact URL path -> file) and `mounts` (URL prefix -> directory) on 127.0.0.1; "/" redirects to `index`. */
export function startStaticServer(opts: {
  mounts: Record<string, string>;
  files?: Record<string, string>;
  index?: string;
  port?: number;
}): Promise<StaticServer>;
/** Content types by file extension. */
export const MIME: Record<string, string>;
