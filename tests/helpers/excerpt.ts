// excerpt.ts: "is this doc block an excerpt of a shipped file?", shared by
// the docs suites. Lines are trimmed and blank ones dropped (indentation may
// differ, content may not); a "// ..." (or "# ...") line marks an omission.

/** Lines trimmed, blank lines dropped. */
export const norm = (text: string): string => text.split("\n").map((l) => l.trim()).filter((l) => l !== "").join("\n");

/** Whether the parts of `code` between omission lines appear, in order, in one of `texts` (already norm()ed). */
export function isExcerptOf(code: string, texts: string[]): boolean {
  const parts = code.split(/^\s*(?:\/\/|#) \.\.\.\s*$/m).map(norm).filter((p) => p !== "");
  if (parts.length === 0) return false;
  return texts.some((text) => {
    let from = 0;
    for (const p of parts) {
      const at = text.indexOf(p, from);
      if (at < 0) return false;
      from = at + p.length;
    }
    return true;
  });
}
