/**
 * The layers of DESIGN.md, enforced: dependencies point inward (functions → services → domain), shared/ never
 * imports the Functions runtime, shared/domain is pure, and dev/ (local host, sandbox) is never imported by the
 * deployed code.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const root = resolve(__dirname, '..', '..', '..', '..');

function sources(dir: string): string[] {
  const abs = join(root, dir);
  let names: string[];
  try {
    names = readdirSync(abs);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of names) {
    const p = join(abs, name);
    if (statSync(p).isDirectory()) out.push(...sources(relative(root, p)));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(relative(root, p));
  }
  return out;
}

interface Import {
  from: string;
  spec: string;
  /** Repo-relative target for relative imports, else undefined. */
  target?: string;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(join(root, file), 'utf8');
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => {
    const spec = f.fileName;
    return spec.startsWith('.')
      ? {
          from: file,
          spec,
          target: relative(root, resolve(root, dirname(file), spec))
            .split(sep)
            .join('/'),
        }
      : { from: file, spec };
  });
}

const under = (path: string | undefined, folder: string) =>
  path !== undefined && (path === folder || path.startsWith(`${folder}/`));

function violations(files: string[], bad: (i: Import) => boolean): string[] {
  return files
    .flatMap(importsOf)
    .filter(bad)
    .map((i) => `${i.from} imports ${i.spec}`);
}

describe('layers (DESIGN.md)', () => {
  const shared = sources('shared');
  const functions = sources('functions');

  it('finds the code it checks', () => {
    assert.ok(shared.length > 0 && functions.length > 0);
  });

  it('shared/ never imports @azure/functions, functions/ or dev/', () => {
    assert.deepEqual(
      violations(
        shared,
        (i) =>
          i.spec.startsWith('@azure/functions') || under(i.target, 'functions') || under(i.target, 'dev'),
      ),
      [],
    );
  });

  it('functions/ never imports dev/ or test/', () => {
    assert.deepEqual(
      violations(functions, (i) => under(i.target, 'dev') || under(i.target, 'test')),
      [],
    );
  });

  it('shared/domain is pure: only itself and parsing/validation libraries, no node: I/O modules', () => {
    const allowedPackages = new Set(['zod', 'htmlparser2', 'entities']);
    assert.deepEqual(
      violations(sources('shared/domain'), (i) =>
        i.target !== undefined ? !under(i.target, 'shared/domain') : !allowedPackages.has(i.spec),
      ),
      [],
    );
  });

  it('adapters (graph, storage, queue) do not depend on services', () => {
    const adapters = [...sources('shared/graph'), ...sources('shared/storage'), ...sources('shared/queue')];
    assert.deepEqual(
      violations(adapters, (i) => under(i.target, 'shared/services')),
      [],
    );
  });

  it('domain and services never reach for the Graph SDK or Azure SDKs directly', () => {
    const inner = [...sources('shared/domain'), ...sources('shared/services')];
    assert.deepEqual(
      violations(inner, (i) =>
        /^@azure\/(data-tables|service-bus|identity)|^@microsoft\/microsoft-graph-client/.test(i.spec),
      ),
      [],
    );
  });
});
