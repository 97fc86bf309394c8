/**
 * The Node worker's arguments have one source, infra/node-worker.json: Bicep and Terraform deploy it as the app
 * setting `languageWorkers__node__arguments` (Azure Functions starts the Node worker with it), and the migration
 * benchmark's worker and `npm start`'s function host start with the same (dev/node-worker.ts), so what they run
 * and measure is the deployed worker's. The arguments must be options Node 22 accepts, or the worker would not start at all.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NODE_WORKER_FILE, nodeWorkerArguments, nodeWorkerSetting } from '../../../dev/node-worker';
import {
  BICEP_DIR,
  bicepAppSettings,
  readBicepProject,
  readTerraformProject,
  ROOT,
  TERRAFORM_DIR,
  terraformAppSettings,
  type AppSettings,
} from './iac';

const SETTING = 'languageWorkers__node__arguments';

let bicep: AppSettings;
let terraform: AppSettings;

before(async () => {
  bicep = bicepAppSettings(await readBicepProject());
  terraform = terraformAppSettings(await readTerraformProject());
});

describe('infra: the Node worker arguments (infra/node-worker.json)', () => {
  it('the benchmark reads infra/node-worker.json', () => {
    assert.equal(NODE_WORKER_FILE, join(ROOT, 'infra', 'node-worker.json'));
  });

  it('Bicep deploys the file’s arguments as languageWorkers__node__arguments', () => {
    const value = bicep.values.get(SETTING);
    const m = /^loadJsonContent\('([^']+)'\)\.arguments$/.exec(value ?? '');
    assert.ok(m?.[1], `Bicep ${SETTING} = ${String(value)}`);
    // loadJsonContent resolves its path from the file that calls it (resources.bicep, in infra/bicep).
    assert.equal(resolve(BICEP_DIR, m[1]), NODE_WORKER_FILE);
  });

  it('Terraform deploys the same file’s arguments as languageWorkers__node__arguments', () => {
    const value = terraform.values.get(SETTING);
    const m = /^\$\{jsondecode\(file\("\$\{path\.module\}\/([^"]+)"\)\)\.arguments\}$/.exec(value ?? '');
    assert.ok(m?.[1], `Terraform ${SETTING} = ${String(value)}`);
    assert.equal(resolve(TERRAFORM_DIR, m[1]), NODE_WORKER_FILE);
  });

  it('the README app-settings table shows the arguments deployed', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    assert.ok(
      readme.includes(`| \`${SETTING}\` | \`${nodeWorkerSetting()}\`, from \`infra/node-worker.json\``),
    );
  });

  it('the arguments are options Node accepts, and they size the V8 heap as they say', () => {
    const args = nodeWorkerArguments();
    assert.equal(args.join(' '), nodeWorkerSetting());
    const r = spawnSync(
      process.execPath,
      [...args, '-e', 'process.stdout.write(String(require("node:v8").getHeapStatistics().heap_size_limit))'],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    const oldSpace = /--max-old-space-size=(\d+)/.exec(nodeWorkerSetting())?.[1];
    if (oldSpace !== undefined) {
      // The heap limit is the old space plus the young generation: at least the old space, far below the default.
      const limitMiB = Number(r.stdout) / 1024 / 1024;
      assert.ok(
        limitMiB >= Number(oldSpace) && limitMiB < Number(oldSpace) + 256,
        `heap limit ${limitMiB} MiB`,
      );
    }
  });
});
