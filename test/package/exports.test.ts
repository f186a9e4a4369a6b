import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as browser from '../../src/browser/index.js';
import * as root from '../../src/index.js';
import * as node from '../../src/node/index.js';

/**
 * The public runtime API, pinned: adding or removing a name is a deliberate change to this list,
 * docs/api.md and CHANGELOG.md (removing one breaks users). Internals are imported by module path.
 */
const ROOT = ['GpuUnavailableError', 'InputError', 'NpyError', 'auc', 'averagePrecision', 'binaryCounts', 'binaryCsv',
  'binaryMarkdown', 'binaryStateResult', 'computeMetrics', 'confusionMatrix', 'createComparison',
  'createConfusionMatrix', 'createMultilabelMatrix', 'createPerClassMatrix', 'createState', 'createThresholdSweep',
  'jsonReport', 'labelIntervals', 'matrixIntervals', 'matrixRows', 'mergeAnyStates', 'mergeBinaryStates',
  'mergeMultilabelStates', 'mergeStates', 'missingShards', 'multilabelCsv', 'multilabelMarkdown', 'multilabelMetrics',
  'multilabelStateResult', 'pairedIntervals', 'perClassIntervals', 'normalizeCounts', 'parseAnyState',
  'parseBinaryState', 'parseMultilabelState', 'parseNpy', 'parseState', 'perClassCsv', 'perClassJson',
  'perClassMarkdown', 'perClassStateResult', 'perClassTable', 'prCurve', 'renderCsv', 'renderHeatmapHtml',
  'renderHeatmapSvg', 'renderMarkdown', 'renderTable', 'rocCurve', 'selectClasses', 'stateResult', 'sweepIntervals',
  'topConfusions', 'topPairs', 'worstClasses', 'frameworkDevice', 'createCellRows'];

const NODE = ['AdapterNotFoundError', 'adapterLabel', 'cpuUpdateFromFile', 'createCpuWorkerCounter', 'loadDawn',
  'loadPngRenderer', 'openArray', 'openBackend', 'openNpyFile', 'readClassNames', 'readNpyFile', 'requestNodeDevice',
  'svgToPng', 'writeFileAtomic'];

const names = (m: object): string[] => Object.keys(m).sort();

describe('public entry points', () => {
  it('confmat exports exactly the pinned runtime names, at most 58', () => {
    expect(names(root)).toEqual([...ROOT].sort());
    expect(ROOT.length).toBeLessThanOrEqual(58);
  });

  it('confmat/node exports exactly the pinned runtime names', () => {
    expect(names(node)).toEqual([...NODE].sort());
  });

  it('confmat/browser is confmat plus the browser device', () => {
    expect(names(browser)).toEqual([...ROOT, 'browserAdapterLabel', 'requestBrowserDevice'].sort());
  });

  it('docs/api.md names every runtime export of confmat and confmat/node', () => {
    const docs = readFileSync('docs/api.md', 'utf8');
    const documented = new Set([...docs.matchAll(/`([A-Za-z_][\w]*)[(`]/g)].map((m) => m[1]));
    for (const line of docs.split('\n')) {
      if (/^\s*import \{/.test(line)) { for (const n of line.matchAll(/\b\w+\b/g)) documented.add(n[0]); }
    }
    expect([...ROOT, ...NODE].filter((n) => !documented.has(n))).toEqual([]);
  });

  it('every name the docs import from confmat or confmat/node exists there', () => {
    const entries: Record<string, object> = { confmat: root, 'confmat/node': node, 'confmat/browser': browser };
    const missing: string[] = [];
    for (const file of ['docs/api.md', 'README.md']) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/import \{([^}]*)\} from '(confmat(?:\/node|\/browser)?)'/g)) {
        for (const name of m[1]!.split(',').map((n) => n.trim()).filter((n) => n && !n.startsWith('type '))) {
          if (!(name in entries[m[2]!]!)) missing.push(`${file}: ${name} from ${m[2]}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
