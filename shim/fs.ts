// fs.ts: the host file interface (wasm/src/fs.h), TS side. A FileSystem is
// what static serving reads files through: shim/node-fs.ts implements it with
// node:fs, shim/packed-fs.ts over an in-memory file set (the browser).
// Every call is synchronous, as the core's imports are.

/** What `stat` reports. `mtime` is in seconds since the epoch. */
export interface FileStat {
  size: number;
  mtime: number;
  isDirectory: boolean;
  /**
   * Optional: a mark that changes whenever the content may have, finer than
   * size and mtime (node:fs gives inode, mtime and ctime in ms). The static
   * file cache keeps a file's bytes only while size, mtime and this stay.
   */
  version?: string;
}

/** A read-only file system as static serving needs it (the shape of Mongoose's mg_fs). */
export interface FileSystem {
  /** The entry at `path`, or undefined if there is none (or it cannot be read). */
  stat(path: string): FileStat | undefined;
  /** Open a file for reading: a descriptor of this file system, or undefined. */
  open(path: string): number | undefined;
  /** Read into `buf` at file position `position`; bytes read (0 at the end). */
  read(fd: number, buf: Uint8Array, position: number): number;
  close(fd: number): void;
  /** Names in directory `path` (sub-directories end with "/"), or undefined. */
  list(path: string): string[] | undefined;
  /** Whether `path`, with links resolved, lies inside `root` (also resolved). */
  within(root: string, path: string): boolean;
  /**
   * Optional: the bytes of [position, position + len) without copying, when
   * the file system holds them in memory (the packed set does).
   */
  view?(fd: number, position: number, len: number): Uint8Array | undefined;
}
