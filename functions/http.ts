/**
 * Small helpers the HTTP functions share (not a function itself): read and validate a JSON body or the query
 * string with a zod schema, and answer errors as `{ error: { code, message } }` with their 4xx status.
 *
 *   export const handler = httpHandler(async (request) => {
 *     const body = await readJsonBody(request, schema);
 *     return { status: 202, jsonBody: ... };
 *   });
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { z } from 'zod';
import { badRequest, invalidJson, isServiceError } from '../shared/services/errors';
import { issueToError } from '../shared/services/input';
import { functionLogger } from './log';

export interface ErrorBody {
  error: { code: string; message: string };
}

/** The JSON body, checked with `schema`. 400 `invalidJson` or `invalidParameter` naming the field. */
export async function readJsonBody<S extends z.ZodType>(
  request: HttpRequest,
  schema: S,
): Promise<z.output<S>> {
  const text = await request.text();
  if (text.trim() === '') throw invalidJson('the body is empty; send a JSON object');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw invalidJson(e instanceof Error ? e.message : 'unparsable');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw badRequest('body', 'must be a JSON object');
  }
  const r = schema.safeParse(json);
  if (!r.success) throw issueToError(r.error.issues, json, 'body', 'parameter');
  return r.data;
}

/**
 * The query string, checked with `schema` (an object of string fields). A parameter given twice → 400 naming
 * it. Answers the parsed value.
 */
export function readQuery<S extends z.ZodType>(request: HttpRequest, schema: S): z.output<S> {
  const raw: Record<string, string> = {};
  for (const [k, v] of request.query) {
    if (k === 'code') continue; // the function key, when passed as ?code=
    if (Object.hasOwn(raw, k)) throw badRequest(k, 'is given more than once; give it once');
    raw[k] = v;
  }
  const r = schema.safeParse(raw);
  if (!r.success) throw issueToError(r.error.issues, raw, 'query', 'parameter');
  return r.data;
}

/** A route parameter (the host has already percent-decoded it). */
export function routeParam(request: HttpRequest, name: string): string {
  const v = request.params[name];
  if (v === undefined || v.trim() === '') throw badRequest(name, 'is required in the route');
  return v;
}

export function errorResponse(e: unknown, context: InvocationContext): HttpResponseInit {
  if (isServiceError(e)) {
    const body: ErrorBody = { error: { code: e.code, message: e.message } };
    const headers: Record<string, string> = {};
    if (e.retryAfterSeconds !== undefined) headers['retry-after'] = String(e.retryAfterSeconds);
    if (e.httpStatus >= 500) functionLogger(context).warn(`${e.code}: ${e.message}`, { cause: e.cause });
    return { status: e.httpStatus, jsonBody: body, headers };
  }
  functionLogger(context).error('Unexpected error', { error: e });
  const body: ErrorBody = {
    error: {
      code: 'internalError',
      message: `Unexpected error; see the function logs for invocation ${context.invocationId}.`,
    },
  };
  return { status: 500, jsonBody: body };
}

/** Wraps a handler so that ServiceErrors (and any other error) answer with the error shape. */
export function httpHandler(
  fn: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request, context) => {
    try {
      return await fn(request, context);
    } catch (e) {
      return errorResponse(e, context);
    }
  };
}

/** What the Graph webhook services answer (change notifications and lifecycle notifications alike). */
export type WebhookOutcome =
  | { kind: 'badRequest'; code: string; message: string }
  | { kind: 'unavailable'; message: string }
  | { kind: 'accepted' };

/** 400 for a malformed body, 503 (Graph redelivers) when a dependency failed, else 202. */
export function webhookResponse(outcome: WebhookOutcome): HttpResponseInit {
  switch (outcome.kind) {
    case 'badRequest':
      return { status: 400, jsonBody: { error: { code: outcome.code, message: outcome.message } } };
    case 'unavailable':
      return {
        status: 503,
        headers: { 'retry-after': '5' },
        jsonBody: { error: { code: 'dependencyUnavailable', message: outcome.message } },
      };
    case 'accepted':
      return { status: 202 };
  }
}
