/**
 * Model files kept in the browser's Cache API, keyed by URL, so that a reload does not download
 * them again. Used as `fetchFileSource`'s `fetch` (in the page and in the model worker alike: both
 * see the same origin's caches).
 */

/** The cache `loadModelInWorker` uses unless told otherwise. */
export const DEFAULT_MODEL_CACHE = 'reasonflow-models';

/**
 * A `fetch` that answers GETs from the cache `cacheName` and stores what it downloads; HEADs are
 * answered from a cached GET when there is one. A missing file (404) is remembered too, so a reload
 * asks the network nothing. Without the Cache API (insecure origin, Node) it is plain `fetch`.
 */
export function cachedFetch(cacheName: string = DEFAULT_MODEL_CACHE): typeof fetch {
  const network = (input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init);
  if (typeof caches === 'undefined') return network;
  const opened = caches.open(cacheName);
  return async (input, init) => {
    const request = new Request(input, init);
    if (request.method !== 'GET' && request.method !== 'HEAD') return network(input, init);
    const cache = await opened;
    const hit = await cache.match(request.url);
    if (hit !== undefined) return request.method === 'HEAD' ? new Response(null, { status: hit.status, statusText: hit.statusText, headers: hit.headers }) : hit;
    const response = await network(input, init);
    if (request.method === 'GET' && (response.ok || response.status === 404)) await cache.put(request.url, response.clone());
    else if (response.status === 404) await cache.put(request.url, new Response(null, { status: 404, statusText: 'Not Found' }));
    return response;
  };
}

/** Deletes the cache `cacheName` (default `reasonflow-models`); true when there was one. */
export async function clearModelCache(cacheName: string = DEFAULT_MODEL_CACHE): Promise<boolean> {
  return typeof caches === 'undefined' ? false : caches.delete(cacheName);
}
