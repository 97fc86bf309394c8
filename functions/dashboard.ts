/**
 * The dashboard: `GET /api/dashboard` (the page), `/api/dashboard/app.js` (its script, compiled from
 * functions/dashboard-assets/client.ts) and `/api/dashboard/app.css`. Anonymous, because a browser cannot send
 * the function key for a page it opens: the three answers are static and hold no data and no secret; the script
 * calls the admin API with the key the admin enters (function-key auth as usual). A strict Content-Security-Policy
 * allows only this origin's script and style sheet (no inline script or style, no other origin, no framing).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HttpResponseInit } from '@azure/functions';
import { DASHBOARD_CSS, DASHBOARD_HTML } from './dashboard-assets/page';
import { httpRoute } from './http-routes';

export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/**
 * The compiled client is a CommonJS module (the project compiles to CommonJS); in the browser it runs inside a
 * function that gives it its own `exports`, so nothing leaks into the page's globals.
 */
function clientScript(): string {
  const compiled = readFileSync(join(__dirname, 'dashboard-assets', 'client.js'), 'utf8').replace(
    /^\/\/# sourceMappingURL=.*$/m,
    '',
  );
  return `(function (exports) {\n${compiled}\n})({});\n`;
}

let script: string | undefined;

function asset(body: string, contentType: string): Promise<HttpResponseInit> {
  return Promise.resolve({
    status: 200,
    body,
    headers: { 'content-type': contentType, ...SECURITY_HEADERS },
  });
}

export const dashboardPage = () => asset(DASHBOARD_HTML, 'text/html; charset=utf-8');
export const dashboardScript = () => asset((script ??= clientScript()), 'text/javascript; charset=utf-8');
export const dashboardStyle = () => asset(DASHBOARD_CSS, 'text/css; charset=utf-8');

const PAGE_DESCRIPTION =
  'Static: the page holds no data and no secret. Its script asks for the function key once (kept in ' +
  'sessionStorage; `#key=…` after the address fills it and is removed at once) and calls the API with it.';

httpRoute('dashboard', {
  route: 'dashboard',
  authLevel: 'anonymous',
  handler: dashboardPage,
  operations: {
    GET: {
      summary: "The admin's dashboard: counts by state, users, a user's meetings, preview and start",
      description: PAGE_DESCRIPTION,
      tags: ['Dashboard'],
      responses: {
        200: {
          description: 'The page (HTML), with a strict Content-Security-Policy.',
          mediaType: 'text/html',
          headers: { 'content-security-policy': DASHBOARD_CSP },
        },
      },
    },
  },
});

httpRoute('dashboardScript', {
  route: 'dashboard/app.js',
  authLevel: 'anonymous',
  handler: dashboardScript,
  operations: {
    GET: {
      summary: "The dashboard's script",
      tags: ['Dashboard'],
      responses: { 200: { description: 'JavaScript.', mediaType: 'text/javascript' } },
    },
  },
});

httpRoute('dashboardStyle', {
  route: 'dashboard/app.css',
  authLevel: 'anonymous',
  handler: dashboardStyle,
  operations: {
    GET: {
      summary: "The dashboard's style sheet",
      tags: ['Dashboard'],
      responses: { 200: { description: 'CSS.', mediaType: 'text/css' } },
    },
  },
});
