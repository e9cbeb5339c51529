// packed-fs.ts: a read-only FileSystem over an in-memory file set (like
// Mongoose's packed fs): a web root for the browser, or any host without
// files. Paths are absolute ("/web/index.html"); directories are implied by
// the files under them. No links, so `within` is a prefix check.
import type { FileStat, FileSystem } from "./fs";
import { TypeError } from "./errors"; // Node's argument-error codes (errors.ts)

const encoder = new TextEncoder();

/** A packed, read-only file set, served with `serveDir(msg, root, { fs })`. */
export class PackedFs implements FileSystem {
  readonly #files = new Map<string, Uint8Array>();
  readonly #dirs = new Map<string, Set<string>>();
  readonly #mtime: number;
  readonly #open = new Map<number, Uint8Array>();
  #nextFd = 1;

  /**
   * `files` maps absolute paths ("/web/index.html") to contents; `mtime`
   * (seconds since the epoch) is reported for every file (default: now).
   */
  constructor(files: Record<string, string | Uint8Array>, mtime = Math.floor(Date.now() / 1000)) {
    if (typeof files !== "object" || files === null) throw new TypeError(`PackedFs: files must be an object, got ${files === null ? "null" : typeof files}`);
    this.#mtime = mtime;
    this.#dirs.set("/", new Set());
    for (const [path, data] of Object.entries(files)) {
      if (!path.startsWith("/") || path.endsWith("/") || path.split("/").some((s, i) => i > 0 && (s === "" || s === "." || s === ".."))) {
        throw new TypeError(`PackedFs: file paths must be absolute and normalised, got ${JSON.stringify(path)}`);
      }
      if (typeof data !== "string" && !(data instanceof Uint8Array)) throw new TypeError(`PackedFs: contents of ${path} must be a string or Uint8Array`);
      this.#files.set(path, typeof data === "string" ? encoder.encode(data) : data);
      // Register every parent directory.
      let child = path;
      for (;;) {
        const cut = child.lastIndexOf("/");
        const parent = cut === 0 ? "/" : child.slice(0, cut);
        const name = child.slice(cut + 1) + (child === path ? "" : "/");
        let set = this.#dirs.get(parent);
        if (set === undefined) this.#dirs.set(parent, (set = new Set()));
        set.add(name);
        if (parent === "/") break;
        child = parent;
      }
    }
  }

  #norm(path: string): string {
    return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  }

  /** The file or directory at `path` (directories are implied by the files under them). */
  stat(path: string): FileStat | undefined {
    const p = this.#norm(path);
    const f = this.#files.get(p);
    if (f !== undefined) return { size: f.byteLength, mtime: this.#mtime, isDirectory: false };
    return this.#dirs.has(p) ? { size: 0, mtime: this.#mtime, isDirectory: true } : undefined;
  }

  /** A descriptor for the file at `path`, or undefined. */
  open(path: string): number | undefined {
    const f = this.#files.get(path);
    if (f === undefined) return undefined;
    const fd = this.#nextFd++;
    this.#open.set(fd, f);
    return fd;
  }

  /** Copy bytes from `position` into `buf`; bytes copied (0 at the end). */
  read(fd: number, buf: Uint8Array, position: number): number {
    const f = this.#open.get(fd);
    if (f === undefined || position >= f.byteLength) return 0;
    const n = Math.min(buf.length, f.byteLength - position);
    buf.set(f.subarray(position, position + n));
    return n;
  }

  /** The bytes themselves (no copy): a packed file is already in memory. */
  view(fd: number, position: number, len: number): Uint8Array | undefined {
    return this.#open.get(fd)?.subarray(position, position + len);
  }

  /** Forget descriptor `fd`. */
  close(fd: number): void {
    this.#open.delete(fd);
  }

  /** Sorted names in directory `path`, sub-directories with a trailing "/". */
  list(path: string): string[] | undefined {
    const set = this.#dirs.get(this.#norm(path));
    return set === undefined ? undefined : [...set].sort();
  }

  /** No links here: `path` is inside `root` when it starts with it. */
  within(root: string, path: string): boolean {
    const r = this.#norm(root);
    return path === r || path.startsWith(r === "/" ? "/" : r + "/");
  }
}
