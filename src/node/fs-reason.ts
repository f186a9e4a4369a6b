// Why a file-system call failed, in words, for one-line messages (`x.npy: cannot read: no such file`).

const REASONS: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied',
  EPERM: 'operation not permitted', EISDIR: 'is a directory', ENOTDIR: 'a parent path component is not a directory',
  EROFS: 'read-only file system', ENOSPC: 'no space left on device', EDQUOT: 'disk quota exceeded',
  EEXIST: 'already exists', EMFILE: 'too many open files', ENAMETOOLONG: 'file name too long',
  EIO: 'input/output error' };

/** The words for a file-system error a user can meet and fix (missing file, permissions, full disk, ...). */
export function fsReason(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && Object.hasOwn(REASONS, code) ? REASONS[code] : undefined;
}

/** Why `e` failed, always in words: {@link fsReason}, else libuv's text from the message, else the code or message. */
export function errnoText(e: unknown): string {
  const x = e as NodeJS.ErrnoException | undefined;
  const libuv = /^[A-Z0-9_]+: ([^,]+)/.exec(typeof x?.message === 'string' ? x.message : '')?.[1];
  return fsReason(e) ?? libuv ?? x?.code ?? (e instanceof Error ? e.message : String(e));
}

/** The first non-blank line of an error's message (loaders print pages). */
export function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n').map((l) => l.trim()).find(Boolean) ?? 'unknown error';
}
