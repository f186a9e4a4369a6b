// Preloaded with `node --import`: prints the process's peak resident set size on exit, for memory tests.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  writeSync(2, `\nconfmat-test peak-rss-bytes ${process.resourceUsage().maxRSS * 1024}\n`);
});
