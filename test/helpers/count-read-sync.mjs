// Preloaded with `node --import`: counts the bytes fs.readSync reads on this thread, written to stderr at exit as
// `readSync bytes: N` (the CLI's file paths read with readSync; its general readers with file handles).
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

let bytes = 0;
const readSync = fs.readSync;
fs.readSync = function(...args) {
  const n = readSync.apply(this, args);
  bytes += n;
  return n;
};
syncBuiltinESMExports();
process.on('exit', () => process.stderr.write(`readSync bytes: ${bytes}\n`));
