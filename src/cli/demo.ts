import { createConfusionMatrix } from '../tasks/multiclass/matrix.js';
import type { ConfusionMatrixResult } from '../core/types.js';
import { makeDemoData, MAX_DEMO_ROWS } from '../demo/synthetic.js';
import { openBackend } from '../node/open-backend.js';
import { jsonReport } from '../report/json.js';
import { renderTable } from '../report/table.js';
import { backendOptions, engineOptions, oneOf, positiveInt, type CliValues } from './usage.js';

async function timed(run: () => Promise<ConfusionMatrixResult>): Promise<{ result: ConfusionMatrixResult; ms: number }> {
  const t0 = performance.now();
  const result = await run();
  return { result, ms: performance.now() - t0 };
}

const rate = (rows: number, ms: number): string => `${((rows / ms) * 1e3 / 1e6).toFixed(1)} M predictions/s`;

/**
 * `confmat demo`: the main job on built-in data. A seeded CIFAR-10-like evaluation set (1M rows by
 * default) is counted on the GPU and on the CPU; prints the matrix, both times, and whether they agree.
 */
export async function runDemo(values: CliValues): Promise<number> {
  const rows = positiveInt(values, 'rows', MAX_DEMO_ROWS, '4 GB of float32 logits') ?? 1_000_000;
  const seed = positiveInt(values, 'seed', 2 ** 32 - 1, 'the generator takes 32-bit seeds') ?? 1;
  const format = oneOf(values, 'format', ['json', 'table'] as const, 'table');
  const { choice, device: deviceOptions } = backendOptions(values);
  const engine = engineOptions(values);
  const out: string[] = [];
  const say = (line: string) => (format === 'table' ? out.push(line) : process.stderr.write(`${line}\n`));

  const t0 = performance.now();
  const { logits, labels, classNames, numClasses } = makeDemoData({ rows, seed });
  say(`demo: ${rows.toLocaleString('en-US')} predictions over ${numClasses} classes (seed ${seed}), made in ${(performance.now() - t0).toFixed(0)} ms`);

  const backend = await openBackend(choice, deviceOptions);
  const cpuRun = () => {
    const cm = createConfusionMatrix({ numClasses });
    return cm.update({ logits, labels }).then(() => cm.compute());
  };
  let gpu: { result: ConfusionMatrixResult; ms: number } | undefined;
  try {
    if (backend.device) {
      const device = backend.device;
      const gpuRun = async () => {
        const cm = createConfusionMatrix({ numClasses, device, ...engine });
        try {
          await cm.update({ logits, labels });
          return await cm.compute();
        } finally {
          cm.destroy();
        }
      };
      await timed(() => {
        const cm = createConfusionMatrix({ numClasses, device, ...engine });
        return cm.update({ logits: logits.subarray(0, numClasses), labels: labels.subarray(0, 1) }).then(() => cm.compute()).finally(() => cm.destroy());
      });
      gpu = await timed(gpuRun);
    }
  } finally {
    backend.destroy();
  }
  const cpu = await timed(cpuRun);
  const result = gpu?.result ?? cpu.result;

  if (gpu) {
    say(`GPU: ${gpu.ms.toFixed(0)} ms (${rate(rows, gpu.ms)}) on ${backend.adapter}, upload included, shaders compiled beforehand`);
    if (backend.software) say('     (a software adapter emulates the GPU on the CPU: its times say nothing about GPU speed)');
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
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify(jsonReport(result, { name: backend.name, adapter: backend.adapter }, { classes: classNames }))}\n`);
  } else {
    process.stdout.write(`${renderTable(result, { classes: classNames, color: process.stdout.isTTY && !process.env.NO_COLOR, width: process.stdout.columns ?? 160 })}\n\n${out.join('\n')}\n`);
  }
  return 0;
}
