import type { FetchFunction } from '@slack/web-api';

/** Told of one failed Web API exchange: the method (`chat.postMessage`) and the error code. */
export type WebApiErrorHook = (method: string, error: string) => void;

/**
 * A `fetch` for `WebClient({ fetch })` (and Bolt's `clientOptions.fetch`) that tells `onError`
 * of every Web API exchange that failed, then hands the response (or the error) on unchanged:
 *
 * - HTTP 429 → `ratelimited` (Slack's own code for it); another status but 200 → `http_<status>`;
 * - a 200 whose JSON says `ok: false` → Slack's `error` (`channel_not_found`, `invalid_auth`, …);
 * - no answer → `timeout` (the client's timeout fired) or `network`.
 *
 * Why fetch and not `WebClient.apiCall`: the client binds `chat.postMessage` and the other
 * methods to `apiCall` when it is constructed, so replacing `apiCall` on an instance misses them,
 * and Bolt builds a client per token besides `app.client`; the fetch option reaches them all. Each
 * retry the client makes is an exchange of its own and counts.
 *
 * @param onError - must not throw; a hook that throws is ignored.
 * @param base - the real fetch; default `globalThis.fetch`.
 */
export function slackFetchCountingErrors(
  onError: WebApiErrorHook,
  base: FetchFunction = fetch,
): FetchFunction {
  const tell = (method: string, error: string): void => {
    try {
      onError(method, error);
    } catch {
      // Counting must never change what the Web API call does.
    }
  };
  return async (url, init) => {
    const method = methodOf(url);
    let response: Awaited<ReturnType<FetchFunction>>;
    try {
      response = await base(url, init);
    } catch (err) {
      tell(method, (err as Error)?.name === 'TimeoutError' ? 'timeout' : 'network');
      throw err;
    }
    if (response.status === 429) tell(method, 'ratelimited');
    else if (response.status !== 200) tell(method, `http_${response.status}`);
    else if ((response.headers.get('content-type') ?? '').includes('json')) {
      const error = await platformError(response);
      if (error !== undefined) tell(method, error);
    }
    return response;
  };
}

/** Slack's `error` when the JSON body says `ok: false`; read from a copy, so the client still reads the body. */
async function platformError(response: Awaited<ReturnType<FetchFunction>>): Promise<string | undefined> {
  const copy = (response as Partial<Response>).clone?.();
  if (!copy) return undefined;
  try {
    const body = (await copy.json()) as { ok?: unknown; error?: unknown };
    if (body?.ok !== false) return undefined;
    return typeof body.error === 'string' ? body.error : 'unknown_error';
  } catch {
    return 'invalid_response';
  }
}

/** The Web API method a request URL names: its last path segment (`…/api/chat.postMessage`). */
function methodOf(url: string | URL): string {
  const path = typeof url === 'string' ? url.split('?')[0] : url.pathname;
  return path.slice(path.lastIndexOf('/') + 1);
}
