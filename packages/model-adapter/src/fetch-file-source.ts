import type { ModelFileSource } from './file-source.js';

/** Bytes of one file received so far (`total` from Content-Length; undefined when the server sends none). */
export interface FileProgress {
  readonly file: string;
  readonly loaded: number;
  readonly total: number | undefined;
  readonly done: boolean;
}

export interface FetchFileSourceOptions {
  /** The fetch to use (default `globalThis.fetch`); tests and service workers inject their own. */
  readonly fetch?: typeof fetch;
  /** Called as binary files download (several times per file, then once with `done: true`). */
  readonly onProgress?: (progress: FileProgress) => void;
  /** Extra options for every request (credentials, cache mode, headers). */
  readonly init?: RequestInit;
}

/**
 * A model folder served over HTTP(S): `baseUrl` is the folder (`https://host/models/tiny/`, or a path
 * relative to the page such as `/model/`). `exists` asks with HEAD (falling back to GET when the
 * server refuses HEAD); text and binary reads are plain GETs; binary reads report progress.
 * Paths stay inside the folder.
 */
export function fetchFileSource(baseUrl: string | URL, options: FetchFileSourceOptions = {}): ModelFileSource {
  const doFetch = options.fetch ?? ((input: Parameters<typeof fetch>[0], init?: RequestInit) => globalThis.fetch(input, init));
  const base = toFolderUrl(baseUrl);
  const url = (relPath: string): string => {
    if (relPath.startsWith('/') || relPath.split('/').some((part) => part === '..' || part === '')) {
      throw new RangeError(`${relPath} is outside the model folder ${base}`);
    }
    return new URL(relPath.split('/').map(encodeURIComponent).join('/'), base).href;
  };
  const existence = new Map<string, Promise<boolean>>();
  const get = async (relPath: string): Promise<Response> => {
    const response = await doFetch(url(relPath), { ...options.init, method: 'GET' });
    if (!response.ok) throw new Error(`${url(relPath)}: HTTP ${response.status} ${response.statusText}`.trim());
    return response;
  };
  return {
    description: base,
    exists: (relPath) => {
      let known = existence.get(relPath);
      if (known === undefined) {
        known = (async () => {
          try {
            let response = await doFetch(url(relPath), { ...options.init, method: 'HEAD' });
            if (response.status === 405 || response.status === 501) {
              response = await doFetch(url(relPath), { ...options.init, method: 'GET' });
              await response.body?.cancel();
            }
            // Single-page-app servers answer every unknown path with index.html: not a model file.
            const type = response.headers.get('content-type') ?? '';
            return response.ok && !type.startsWith('text/html');
          } catch {
            return false;
          }
        })();
        existence.set(relPath, known);
      }
      return known;
    },
    readText: async (relPath) => (await get(relPath)).text(),
    readBinary: async (relPath) => {
      const response = await get(relPath);
      const header = response.headers.get('content-length');
      const encoded = response.headers.get('content-encoding');
      // With a content encoding, Content-Length counts compressed bytes: no reliable total.
      const total = header !== null && !encoded ? Number(header) : undefined;
      const report = options.onProgress;
      if (response.body === null || report === undefined) {
        const bytes = new Uint8Array(await response.arrayBuffer());
        report?.({ file: relPath, loaded: bytes.length, total: bytes.length, done: true });
        return bytes;
      }
      const chunks: Uint8Array[] = [];
      let loaded = 0;
      const reader = response.body.getReader();
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        loaded += value.length;
        report({ file: relPath, loaded, total, done: false });
      }
      const bytes = concat(chunks, loaded);
      report({ file: relPath, loaded, total: total ?? loaded, done: true });
      return bytes;
    },
  };
}

function toFolderUrl(baseUrl: string | URL): string {
  const location = (globalThis as { location?: { href: string } }).location;
  const resolved = location !== undefined ? new URL(baseUrl, location.href) : new URL(baseUrl);
  if (!resolved.pathname.endsWith('/')) resolved.pathname += '/';
  return resolved.href;
}

function concat(chunks: readonly Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]!.length === length) return chunks[0]!;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
