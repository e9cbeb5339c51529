// static-cache.ts: the small-file cache of serveDir/serveFile over node:fs
// (nginx's open_file_cache, plus the bytes). A path's stat answer is reused
// for `revalidateMs`, then stat()ed again; a file of at most `maxFileSize`
// bytes is kept whole while its stat answer (size, mtime, and the file
// system's `version`) stays the same. So an unchanged small file costs no
// system call at all, a changed one is served fresh within `revalidateMs`,
// and a deleted one answers 404 within it. Bounded by `maxEntries` paths
// and `maxBytes` kept bytes: the least recently revalidated go first.
// The core still decides everything HTTP from what these calls answer.
import { describe, RangeError, TypeError } from "../core/errors"; // Node's argument-error codes
import type { FileStat, FileSystem } from "../../shim/fs";

// The global is an accessor: read it once, not on every clock read (a slow global load in optimized code).
const perf = globalThis.performance;

/** Limits of the static file cache (`ServeFileOptions.cache`); every field is optional. */
export interface StaticCacheOptions {
  /** File bytes the cache holds at most, all files together. */
  maxBytes: number;
  /** Paths the cache remembers at most (files, directories and misses). */
  maxEntries: number;
  /** Largest file kept in memory, bytes; bigger ones are read from the file each time. */
  maxFileSize: number;
  /** A path's stat answer is reused this long, ms (0: stat on every request, bytes still kept while unchanged). */
  revalidateMs: number;
}

/** The cache's defaults (`DEFAULTS.staticCache`). */
export const STATIC_CACHE_DEFAULTS: Readonly<StaticCacheOptions> = Object.freeze({
  maxBytes: 16 * 1024 * 1024,
  maxEntries: 1024,
  maxFileSize: 64 * 1024,
  revalidateMs: 1000,
});

const KEYS = Object.keys(STATIC_CACHE_DEFAULTS) as (keyof StaticCacheOptions)[];

/** Check `cache` options (an object of optional non-negative integers) and fill in the defaults. */
export function staticCacheOptions(o: unknown): StaticCacheOptions {
  if (typeof o !== "object" || o === null) throw new TypeError(`cache must be false or an object, got ${describe(o)}`);
  const out = { ...STATIC_CACHE_DEFAULTS };
  for (const k of KEYS) {
    const v = (o as Record<string, unknown>)[k];
    if (v === undefined) continue;
    if (typeof v !== "number") throw new TypeError(`cache.${k} must be a number, got ${describe(v)}`);
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`cache.${k} must be a non-negative integer, got ${describe(v)}`);
    out[k] = v;
  }
  return out;
}

interface Entry {
  st: FileStat | undefined;
  /** When `st` was last confirmed by the file system (performance.now()). */
  at: number;
  bytes: Uint8Array | undefined;
}

function sameFile(a: FileStat | undefined, b: FileStat | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.size === b.size && a.mtime === b.mtime && a.isDirectory === b.isDirectory && a.version === b.version;
}

/** The cache over one FileSystem. */
export class StaticCache {
  readonly #fs: FileSystem;
  readonly #map = new Map<string, Entry>();
  #bytes = 0;
  #opts: StaticCacheOptions = STATIC_CACHE_DEFAULTS;

  constructor(fs: FileSystem) {
    this.#fs = fs;
  }

  get fs(): FileSystem {
    return this.#fs;
  }

  /** Entries and kept bytes now. */
  usage(): { entries: number; bytes: number } {
    return { entries: this.#map.size, bytes: this.#bytes };
  }

  /** Apply new limits (checked by staticCacheOptions); shrinks at once if they are lower. */
  configure(o: StaticCacheOptions): void {
    this.#opts = o;
    this.#trim();
  }

  /** Forget everything. */
  clear(): void {
    this.#map.clear();
    this.#bytes = 0;
  }

  /** The file system's stat answer, at most `revalidateMs` old. */
  stat(path: string): FileStat | undefined {
    const now = perf.now();
    const e = this.#map.get(path);
    if (e !== undefined && now - e.at < this.#opts.revalidateMs) return e.st;
    let st: FileStat | undefined;
    try {
      st = this.#fs.stat(path);
    } catch (err) {
      if (e !== undefined) this.#drop(path, e);
      throw err;
    }
    if (e !== undefined) {
      this.#map.delete(path); // re-inserted last: eviction takes the least recently confirmed
      if (sameFile(e.st, st)) {
        e.at = now;
        this.#map.set(path, e);
        return st;
      }
      if (e.bytes !== undefined) this.#bytes -= e.bytes.length;
    }
    if (this.#opts.maxEntries > 0) {
      this.#map.set(path, { st, at: now, bytes: undefined });
      this.#trim();
    }
    return st;
  }

  /**
   * The whole content of the small file at `path` as last stat()ed here
   * (the core stats before it opens), read once and kept; undefined when it
   * is not a small file, or changed while being read (the caller then opens
   * it as usual).
   */
  bytes(path: string): Uint8Array | undefined {
    const e = this.#map.get(path);
    if (e === undefined || e.st === undefined || e.st.isDirectory) return undefined;
    if (e.bytes !== undefined) return e.bytes;
    const size = e.st.size;
    if (size > this.#opts.maxFileSize || size > this.#opts.maxBytes) return undefined;
    const fs = this.#fs;
    const fd = fs.open(path);
    if (fd === undefined) return undefined;
    const buf = new Uint8Array(size);
    let got = 0;
    try {
      while (got < size) {
        const n = fs.read(fd, buf.subarray(got), got);
        if (n <= 0) break;
        got += n;
      }
    } finally {
      fs.close(fd);
    }
    // A file written while we read it is not kept: its stat answer moved
    // (the entry goes, so the next request stats it again).
    if (this.#map.get(path) !== e) return undefined;
    if (got !== size || !sameFile(e.st, fs.stat(path))) {
      this.#drop(path, e);
      return undefined;
    }
    e.bytes = buf;
    this.#bytes += size;
    this.#trim();
    return buf;
  }

  #drop(path: string, e: Entry): void {
    this.#map.delete(path);
    if (e.bytes !== undefined) this.#bytes -= e.bytes.length;
  }

  #trim(): void {
    const { maxEntries, maxBytes } = this.#opts;
    while (this.#map.size > maxEntries || this.#bytes > maxBytes) {
      const first = this.#map.entries().next();
      if (first.done === true) break;
      this.#drop(first.value[0], first.value[1]);
    }
  }
}
