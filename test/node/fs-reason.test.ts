import { describe, expect, it } from 'vitest';
import { errnoText, firstLine, fsReason } from '../../src/node/fs-reason.js';

const errno = (code: string, message: string): NodeJS.ErrnoException => Object.assign(new Error(message), { code });

describe('fsReason and errnoText', () => {
  it('word the failures a user can fix the same for readers, writers and the CLI', () => {
    expect(fsReason(errno('ENOENT', 'ENOENT: no such file or directory, open'))).toBe('no such file');
    expect(errnoText(errno('EISDIR', 'EISDIR: illegal operation on a directory, read'))).toBe('is a directory');
    expect(errnoText(errno('EIO', 'EIO: i/o error, read'))).toBe('input/output error');
    expect(fsReason(errno('EMFILE', 'x'))).toBe('too many open files');
  });

  it('fall back to libuv text, then the code, then the message', () => {
    expect(fsReason(errno('EXDEV', 'EXDEV: cross-device link not permitted, rename'))).toBeUndefined();
    expect(errnoText(errno('EXDEV', 'EXDEV: cross-device link not permitted, rename'))).toBe(
      'cross-device link not permitted',
    );
    expect(errnoText(errno('EWHAT', 'odd'))).toBe('EWHAT');
    expect(errnoText(new Error('plain'))).toBe('plain');
    expect(errnoText('text')).toBe('text');
    expect(fsReason(errno('toString', 'x'))).toBeUndefined();
  });

  it('firstLine keeps the first non-blank line of a message', () => {
    expect(firstLine(new Error('\n  Cannot find module x  \nRequire stack:\n- a.js'))).toBe('Cannot find module x');
    expect(firstLine('one\ntwo')).toBe('one');
    expect(firstLine(new Error(' \n '))).toBe('unknown error');
  });
});
