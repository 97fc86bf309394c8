/**
 * The Node.js arguments of the deployed function app's worker process: infra/node-worker.json, which Bicep and
 * Terraform deploy as the app setting `languageWorkers__node__arguments` (Azure Functions starts the Node worker
 * with them). `npm start`'s function host and the migration benchmark's worker start with exactly these, so they run
 * and measure as the worker deployed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** infra/node-worker.json (from dist/dev, where this module runs). */
export const NODE_WORKER_FILE = join(__dirname, '..', '..', 'infra', 'node-worker.json');

/** Node options only (`--name` or `--name=value`), one space apart: the host puts the string on node's command line. */
const ARGUMENTS = /^--[a-z][a-z0-9-]*(=[A-Za-z0-9._-]+)?( --[a-z][a-z0-9-]*(=[A-Za-z0-9._-]+)?)*$/;

const nodeWorkerFile = z.object({
  arguments: z.string().regex(ARGUMENTS, 'Node options separated by single spaces'),
});

/** The app setting's value, as deployed. */
export function nodeWorkerSetting(file: string = NODE_WORKER_FILE): string {
  return nodeWorkerFile.parse(JSON.parse(readFileSync(file, 'utf8'))).arguments;
}

/** The same, as the argument list a child process is started with. */
export function nodeWorkerArguments(file: string = NODE_WORKER_FILE): string[] {
  return nodeWorkerSetting(file).split(' ');
}
