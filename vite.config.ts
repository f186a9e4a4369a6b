import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

/**
 * Two builds (`npm run build:web` runs both): `--mode lib` bundles the browser entry
 * `src/browser/index.ts` to `dist-web/confmat.js` (one ES module, shaders inlined, no Node
 * built-ins; Vite prints its raw and gzip size); the default mode serves (`npm run dev`) or builds
 * the demo page `web/` to `dist-web/demo/`, with relative URLs so any static server can host it.
 */
export default defineConfig(({ mode }) =>
  mode === 'lib' ?
    { publicDir: false,
      build: { outDir: here('./dist-web'), emptyOutDir: true, target: 'es2022', sourcemap: true, minify: true,
        reportCompressedSize: true, lib: { entry: here('./src/browser/index.ts'), formats: ['es'], fileName: () =>
          'confmat.js' } } } :
    { root: here('./web'), base: './', publicDir: false, server: { port: 5173 },
      build: { outDir: here('./dist-web/demo'), emptyOutDir: true, target: 'es2022', sourcemap: true,
        reportCompressedSize: true } }
);
