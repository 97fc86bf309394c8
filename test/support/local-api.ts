/**
 * JSON calls to a local host started by `startLocalHost` (test/support/local-host.ts): its admin API, with the
 * function key `npm start` prints, and its sandbox tenant's control API. The host is looked up at each call, so
 * a test can create the client before `before()` has started the host.
 */
import assert from 'node:assert/strict';
import type { LocalHost } from './local-host';

export type Json = Record<string, unknown>;

export interface LocalApi {
  /** `method /api/<path>` with a JSON body (when given): the status and the parsed answer (`{}` when empty). */
  api: (method: string, path: string, body?: unknown) => Promise<{ status: number; json: Json }>;
  /** `GET /_sandbox/<path>` on the sandbox tenant; asserts 200. */
  sandbox: <T>(path: string) => Promise<T>;
}

export function localApi(host: () => LocalHost): LocalApi {
  return {
    api: async (method, path, body) => {
      const local = host();
      const res = await fetch(`${local.apiUrl}/api/${path}`, {
        method,
        headers: { 'x-functions-key': local.functionKey, 'content-type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, json: text ? (JSON.parse(text) as Json) : {} };
    },
    sandbox: async <T>(path: string): Promise<T> => {
      const res = await fetch(`${host().graphUrl}/_sandbox/${path}`);
      assert.equal(res.status, 200, `sandbox ${path}`);
      return (await res.json()) as T;
    },
  };
}
