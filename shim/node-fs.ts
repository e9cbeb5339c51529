// node-fs.ts: the FileSystem over node:fs (synchronous calls: the core asks
// from inside a handler; a stat or a read of a cached page is microseconds).
import { closeSync, openSync, readdirSync, readSync, realpathSync, statSync } from "node:fs";
import { sep } from "node:path";
import type { FileStat, FileSystem } from "./fs";

// The global is an accessor: read it once, not on every clock read (a slow global load in optimized code).
const perf = globalThis.performance;

/** Resolved roots (realpath): a root is resolved once, not per request. */
const rootCache = new Map<string, string>();

function realRoot(root: string): string | undefined {
  let real = rootCache.get(root);
  if (real === undefined) {
    try {
      real = realpathSync.native(root);
    } catch {
      return undefined;
    }
    if (rootCache.size > 64) rootCache.clear();
    rootCache.set(root, real);
  }
  return real;
}

/**
 * Recent within() answers: resolving a path (realpath) costs a syscall per
 * component, more than the rest of serving a small file. An answer is
 * reused for WITHIN_TTL_MS; a link changed inside the root takes effect
 * after that (whoever can change links there can change the files too).
 */
const WITHIN_TTL_MS = 1000;
const WITHIN_MAX = 4096;
/** root -> path -> answer (two levels: no key string built per call). */
const withinCache = new Map<string, Map<string, { ok: boolean; at: number }>>();
let withinSize = 0;

/** stat() errors that mean "no such entry" rather than a failure. */
const NOT_THERE = new Set(["ENOENT", "ENOTDIR", "ENAMETOOLONG", "ELOOP"]);

/** The FileSystem over node:fs. */
export function nodeFileSystem(): FileSystem {
  return {
    stat(path: string): FileStat | undefined {
      let st: ReturnType<typeof statSync>;
      try {
        st = statSync(path, { throwIfNoEntry: false });
      } catch (err) {
        // "/file/", a name too long or a link loop: nothing there, as ENOENT.
        // Anything else (EACCES, EIO) is a real failure: the caller reports it.
        if (NOT_THERE.has((err as NodeJS.ErrnoException).code ?? "")) return undefined;
        throw err;
      }
      if (st === undefined || !(st.isFile() || st.isDirectory())) return undefined;
      return { size: st.size, mtime: Math.floor(st.mtimeMs / 1000), isDirectory: st.isDirectory(),
        version: `${st.ino}:${st.mtimeMs}:${st.ctimeMs}` };
    },
    open(path: string): number | undefined {
      // The core stat()ed it a moment ago (a directory opened here reads as
      // nothing: the core then cuts the response short).
      try {
        return openSync(path, "r");
      } catch {
        return undefined;
      }
    },
    read(fd: number, buf: Uint8Array, position: number): number {
      try {
        return readSync(fd, buf, 0, buf.length, position);
      } catch {
        return 0;
      }
    },
    close(fd: number): void {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    },
    list(path: string): string[] | undefined {
      try {
        return readdirSync(path, { withFileTypes: true })
          .map((d) => (d.isDirectory() ? `${d.name}/` : d.name))
          .sort();
      } catch {
        return undefined;
      }
    },
    within(root: string, path: string): boolean {
      const now = perf.now();
      let paths = withinCache.get(root);
      const hit = paths?.get(path);
      if (hit !== undefined && now - hit.at < WITHIN_TTL_MS) return hit.ok;
      const ok = resolvedWithin(root, path);
      if (withinSize >= WITHIN_MAX) {
        withinCache.clear();
        withinSize = 0;
        paths = undefined;
      }
      if (paths === undefined) withinCache.set(root, (paths = new Map()));
      if (!paths.has(path)) withinSize++;
      paths.set(path, { ok, at: now });
      return ok;
    },
  };
}

/** Does `path`, with links resolved, lie inside `root` (resolved too)? */
function resolvedWithin(root: string, path: string): boolean {
  const r = realRoot(root);
  if (r === undefined) return false;
  let p: string;
  try {
    p = realpathSync.native(path);
  } catch {
    return false;
  }
  return p === r || p.startsWith(r.endsWith(sep) ? r : r + sep);
}
