// Preloaded with `node --import`: counts the bytes fs.readSync and fs.read (callback) read by file descriptor, written
// to stderr at exit as `fd read bytes: N` (the CLI's file paths read by descriptor; its general readers with file
// handles, which these do not see).
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

let bytes = 0;
const { readSync, read } = fs;
fs.readSync = function(...args) {
  const n = readSync.apply(this, args);
  bytes += n;
  return n;
};
fs.read = function(...args) {
  const done = args.pop();
  return read.call(this, ...args, (err, n, buffer) => {
    if (!err) bytes += n;
    done(err, n, buffer);
  });
};
syncBuiltinESMExports();
process.on('exit', () => process.stderr.write(`fd read bytes: ${bytes}\n`));
