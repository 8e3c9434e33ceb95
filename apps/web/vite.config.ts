import { createReadStream, existsSync, statSync } from 'node:fs';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Connect, defaultClientConditions, defineConfig, type Plugin } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

const MODEL_TINY = dirname(require.resolve('@reasonflow/model-tiny/package.json'));
/** The embedded model folder (packages/model-tiny/model). */
const MODEL_DIR = join(MODEL_TINY, 'model');
/**
 * onnxruntime-web's wasm runtime: the asyncify build behind `onnxruntime-web/webgpu`, which
 * @reasonflow/backend-webgpu imports (ORT's native WebGPU EP; see that package's README).
 */
const ORT_DIR = dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm'));
const ORT_FILES = ['ort-wasm-simd-threaded.asyncify.wasm', 'ort-wasm-simd-threaded.asyncify.mjs'];

const TYPES: Record<string, string> = {
  '.wasm': 'application/wasm',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.onnx': 'application/octet-stream',
  '.onnx_data': 'application/octet-stream',
};

/** Serves `root` under `prefix` (no directory listing, nothing outside root). */
function serveFolder(prefix: string, root: string, allow?: readonly string[]): Connect.NextHandleFunction {
  return (req, res, next) => {
    const path = decodeURIComponent((req.url ?? '').split('?')[0]!);
    if (!path.startsWith(prefix)) return next();
    const rel = path.slice(prefix.length);
    const file = resolve(root, rel);
    if (!file.startsWith(root + sep) || (allow && !allow.includes(rel)) || !existsSync(file) || !statSync(file).isFile()) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
    res.setHeader('Content-Length', statSync(file).size);
    res.setHeader('Cache-Control', 'no-cache');
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  };
}

async function copyTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    if (entry.isDirectory()) await copyTree(join(from, entry.name), join(to, entry.name));
    else await copyFile(join(from, entry.name), join(to, entry.name));
  }
}

/**
 * The model and onnxruntime-web's wasm files, served by the app itself (no CDN): `/model/` is the
 * embedded model folder and `/ort/` the ORT runtime, straight from their packages on the dev and
 * preview servers, and copied into the build output.
 */
function reasonflowAssets(): Plugin {
  let outDir = join(here, 'dist');
  const middlewares = (use: (handler: Connect.NextHandleFunction) => void, base: string) => {
    use(serveFolder(`${base}model/`, MODEL_DIR));
    use(serveFolder(`${base}ort/`, ORT_DIR, ORT_FILES));
  };
  return {
    name: 'reasonflow-assets',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    configureServer(server) {
      middlewares((h) => server.middlewares.use(h), server.config.base);
    },
    configurePreviewServer(server) {
      middlewares((h) => server.middlewares.use(h), server.config.base);
    },
    async writeBundle() {
      await copyTree(MODEL_DIR, join(outDir, 'model'));
      await mkdir(join(outDir, 'ort'), { recursive: true });
      for (const file of ORT_FILES) await copyFile(join(ORT_DIR, file), join(outDir, 'ort', file));
      this.info(`copied the model and ${ORT_FILES.join(', ')} into ${relative(here, outDir)}`);
    },
  };
}

const MODEL_TINY_BROWSER = '\0model-tiny-browser';

/**
 * `@reasonflow/model-tiny` in the page: its task parser, answer extractor and step checkers (the
 * strategies' checker scorer and answer votes). The package's entry also exports `modelPath`, a
 * `node:url` path computed on import, so the page takes the two Node-free modules only; importing
 * anything else of it from the page fails the build.
 */
function modelTinyForBrowser(): Plugin {
  return {
    name: 'model-tiny-browser',
    enforce: 'pre',
    resolveId(source) {
      return source === '@reasonflow/model-tiny' ? MODEL_TINY_BROWSER : undefined;
    },
    load(id) {
      if (id !== MODEL_TINY_BROWSER) return undefined;
      const modules = ['dist/tasks.js', 'dist/scorers.js'].map((file) => join(MODEL_TINY, file).split(sep).join('/'));
      return modules.map((file) => `export * from ${JSON.stringify(file)};`).join('\n');
    },
  };
}

export default defineConfig({
  root: here,
  plugins: [reasonflowAssets(), modelTinyForBrowser()],
  // onnxruntime-web's "extern wasm" build: it loads its wasm glue and binary from ort.env.wasm.wasmPaths
  // (the app's /ort/) instead of embedding a second copy of the 28 MB binary in the bundle.
  resolve: {
    conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions],
  },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 2048, reportCompressedSize: false },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
