import type { ConfusionMatrixResult } from '../core/types.js';
import { makeDemoData } from '../demo/synthetic.js';
import { openBackend } from '../node/open-backend.js';
import { jsonReport } from '../report/json.js';
import { renderTable } from '../report/table.js';
import { matrixIntervals } from '../tasks/multiclass/intervals.js';
import { createConfusionMatrix } from '../tasks/multiclass/matrix.js';
import { backendOptions, flag } from './flags.js';
import { intervalOptions } from './interval-options.js';
import { type CliValues, oneOf } from './usage.js';

const rate = (rows: number, ms: number): string => `${((rows / ms) * 1e3 / 1e6).toFixed(1)} M predictions/s`;

/** `confmat demo`: seeded CIFAR-10-like predictions counted on the GPU and the CPU, both timed, then compared. */
export async function runDemo(values: CliValues): Promise<number> {
  const rows = flag(values, 'rows') ?? 1_000_000;
  const seed = flag(values, 'seed', 'demo') ?? 1;
  const ci = intervalOptions(values, seed);
  const format = oneOf(values, 'format', ['json', 'table'] as const, 'table');
  const { choice, device: deviceOptions } = backendOptions(values);
  const engine = { chunkRows: flag(values, 'chunk-rows'), histogram: flag(values, 'histogram') };
  const out: string[] = [];
  const say = (line: string) => (format === 'table' ? out.push(line) : process.stderr.write(`${line}\n`));

  const t0 = performance.now();
  const { logits, labels, classNames, numClasses } = makeDemoData({ rows, seed });
  const made = `made in ${(performance.now() - t0).toFixed(0)} ms`;
  say(`demo: ${rows.toLocaleString('en-US')} predictions over ${numClasses} classes (seed ${seed}), ${made}`);

  const backend = await openBackend(choice, deviceOptions);
  const count = async (device: GPUDevice | undefined, n = rows) => {
    const t0 = performance.now();
    const cm = createConfusionMatrix({ numClasses, ...(device ? { device, ...engine } : {}) });
    try {
      await cm.update({ logits: logits.subarray(0, n * numClasses), labels: labels.subarray(0, n) });
      return { result: await cm.compute(), ms: performance.now() - t0 };
    } finally {
      cm.destroy();
    }
  };
  let gpu: { result: ConfusionMatrixResult; ms: number } | undefined;
  try {
    if (backend.device) gpu = await count(backend.device, 1).then(() => count(backend.device));
  } finally {
    backend.destroy();
  }
  const cpu = await count(undefined);
  const result = gpu?.result ?? cpu.result;

  if (gpu) {
    const what = 'upload included, shaders compiled beforehand';
    say(`GPU: ${gpu.ms.toFixed(0)} ms (${rate(rows, gpu.ms)}) on ${backend.adapter}, ${what}`);
    const speed = 'a software adapter emulates the GPU on the CPU: its times say nothing about GPU speed';
    if (backend.software) say(`     (${speed})`);
  }
  say(`CPU: ${cpu.ms.toFixed(0)} ms (${rate(rows, cpu.ms)}), one thread`);
  if (gpu) {
    const same = gpu.result.counts.every((v, i) => v === cpu.result.counts[i]);
    if (!same) {
      process.stderr.write('confmat: the GPU and CPU matrices differ: this is a bug, please report it\n');
      return 4;
    }
    say(`GPU and CPU agree on all ${numClasses * numClasses} cells.`);
  }
  const intervals = ci && matrixIntervals(result, ci);
  if (format === 'json') {
    const json = jsonReport(result, { name: backend.name, adapter: backend.adapter }, { classes: classNames,
      intervals });
    process.stdout.write(`${JSON.stringify(json)}\n`);
    return 0;
  }
  const [color, width] = [process.stdout.isTTY && !process.env.NO_COLOR, process.stdout.columns ?? 160];
  const table = renderTable(result, { classes: classNames, color, width, ...(intervals && { intervals }) });
  process.stdout.write(`${table}\n\n${out.join('\n')}\n`);
  return 0;
}
