import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { type Command, FLAGS, helpText } from '../../src/cli/flags.js';

function confmat(args: string[]) {
  const r = spawnSync(process.execPath, ['dist/cli/main.js', ...args], { encoding: 'utf8',
    env: { ...process.env, CONFMAT_DAWN_LOG: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const flagsOf = (command: Command): string[] =>
  Object.entries(FLAGS).filter(([, f]) => (f.commands as readonly string[]).includes(command)).map(([name]) =>
    `--${name}`
  );
const listed = (text: string): string[] => [...text.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]!);

describe('help from the flag table', () => {
  it("lists every flag in --help, and only the command's own flags in confmat help COMMAND", () => {
    const all = confmat(['--help']);
    expect(all.code).toBe(0);
    expect(listed(all.stdout).sort()).toEqual(
      Object.keys(FLAGS).filter((f) => f !== 'help' && f !== 'version').map((f) => `--${f}`).sort(),
    );
    for (const command of ['eval', 'merge', 'demo'] as const) {
      expect(listed(helpText(command)).sort()).toEqual(flagsOf(command).sort());
    }
    expect(flagsOf('merge')).toContain('--allow-partial');
    expect(listed(helpText('demo'))).not.toContain('--shard');
  });

  it('confmat help eval and confmat eval --help print the eval help', () => {
    const a = confmat(['help', 'eval']);
    expect(a).toMatchObject({ code: 0, stdout: helpText('eval') });
    expect(a.stdout).toMatch(/^ {2}--thresholds K\|LIST [^]*?\[binary\]\n {2}--sample-weight/m);
    expect(a.stdout).not.toContain('--allow-partial');
    expect(confmat(['eval', '--help']).stdout).toBe(a.stdout);
    expect(confmat(['merge', '-h']).stdout).toBe(helpText('merge'));
  });

  it.each([[['eval', '--threshlod', '0.3'], "unknown option '--threshlod' (did you mean --threshold?)"], [['eval',
    '--sample-w', 'w.npy'], "unknown option '--sample-w' (did you mean --sample-weight?)"], [['eval', '--zzzzzz'],
    "unknown option '--zzzzzz'\n"], [['evl', '--logits', 'x.npy'],
    "unknown command 'evl' (expected eval, compare, merge or demo; did you mean eval?)"], [['help', 'mrege'],
    "unknown command 'mrege' (expected eval, compare, merge or demo; did you mean merge?)"], [['frobnicate'],
    "unknown command 'frobnicate' (expected eval, compare, merge or demo)\n"]])('a usage error with did-you-mean: %j',
      (args, message) => {
        const r = confmat(args);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(`confmat: ${message}`);
        expect(r.stdout).toBe('');
      });

  it.each([[['demo', '--out', 'x.json'], '--out applies to confmat eval, compare and merge, not demo'], [['merge',
    'p.json', '--threads', '2'], '--threads applies to confmat eval, not merge'], [['eval', '--task', 'multilabel',
    '--scores', 's.npy', '--targets', 't.npy', '--thresholds', '5'],
    '--thresholds does not apply to --task multilabel (only to --task binary)'], [['eval', '--task', 'binary',
    '--scores', 's.npy', '--targets', 't.npy', '--classes', 'n.txt'], '--classes does not apply to --task binary'], [[
    'eval',
    '--preds',
    'p.npy',
    '--labels',
    'y.npy',
    '--thresholds',
    '5',
  ], '--thresholds needs --task binary'], [['eval', '--preds', 'p.npy', '--labels', 'y.npy', '--per-class', '--threads',
    '2'], '--threads splits the C x C count over worker threads, which per-class mode does not build']])(
      'refuses a flag that does not apply: %j',
      (args, message) => {
        const r = confmat(args);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(`confmat: ${message}`);
      },
    );
});
