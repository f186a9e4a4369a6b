import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

/**
 * Three builds (`npm run build:web` runs them): `--mode lib` bundles the browser entry
 * `src/browser/index.ts` to `dist-web/confmat.js` (one ES module, shaders inlined, no Node
 * built-ins; Vite prints its raw and gzip size); the default mode serves (`npm run dev`) or builds
 * the demo page `web/` to `dist-web/demo/`, with relative URLs so any static server can host it; `--mode model`
 * builds the model page `web/model.html` on its own to `dist-web/model/` (onnxruntime-web and its .wasm stay out of
 * the demo's chunks).
 */
export default defineConfig(({ mode }) =>
  mode === 'model' ?
    { root: here('./web'), base: './', publicDir: false,
      build: { outDir: here('./dist-web/model'), emptyOutDir: true, target: 'es2022', sourcemap: true,
        reportCompressedSize: false, rollupOptions: { input: here('./web/model.html') } } } :
    mode === 'lib' ?
    { publicDir: false,
      build: { outDir: here('./dist-web'), emptyOutDir: true, target: 'es2022', sourcemap: true, minify: true,
        reportCompressedSize: true, lib: { entry: here('./src/browser/index.ts'), formats: ['es'], fileName: () =>
          'confmat.js' } } } :
    { root: here('./web'), base: './', publicDir: false, server: { port: 5173 },
      build: { outDir: here('./dist-web/demo'), emptyOutDir: true, target: 'es2022', sourcemap: true,
        reportCompressedSize: true } }
);
