/** Small HTTP helpers for the serve tests: JSON requests and server-sent-event streams over fetch. */

/** A response body as the tests read it: loosely, each assertion checks the fields it needs. */
// biome-ignore lint/suspicious/noExplicitAny: JSON from the wire, checked field by field by the assertions
export type Json = any;

export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export async function postJson(base: string, path: string, body: unknown, init: RequestInit = {}) {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });
  return { status: response.status, headers: response.headers, json: (await response.json()) as Json };
}

/** Posts a streaming request and returns every `data:` payload parsed (the final `[DONE]` as a string). */
export async function postStream(base: string, path: string, body: unknown): Promise<{ status: number; contentType: string | null; events: Json[] }> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ ...(body as object), stream: true }),
  });
  const text = await response.text();
  const events = text
    .split('\n\n')
    .filter((block) => block.length > 0)
    .map((block) => {
      if (!block.startsWith('data: ')) throw new Error(`not an SSE data block: ${JSON.stringify(block)}`);
      const data = block.slice('data: '.length);
      return data === '[DONE]' ? data : JSON.parse(data);
    });
  return { status: response.status, contentType: response.headers.get('content-type'), events };
}

/** The text of a streamed completion or chat completion: its chunks' pieces joined. */
export function streamedText(events: Json[]): string {
  return events
    .filter((e) => e !== '[DONE]')
    .flatMap((e) => e.choices)
    .map((c: Json) => c.text ?? c.delta?.content ?? '')
    .join('');
}
