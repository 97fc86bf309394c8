/**
 * Schema assertions for the contract tests: the sandbox's own checker (dev/sandbox/schema-check.ts) over the
 * official Graph v1.0 schema subset (dev/sandbox/schema/graph-v1.0-schema.json).
 */
import assert from 'node:assert/strict';
import { graphSchemaViolations } from '../../dev/sandbox/schema-check';

export { graphSchemaViolations } from '../../dev/sandbox/schema-check';

export function assertConformsToGraphSchema(obj: unknown, typeName: string): void {
  const violations = graphSchemaViolations(obj, typeName);
  assert.deepEqual(
    violations,
    [],
    `${typeName} does not conform to the Graph v1.0 schema:\n${violations.join('\n')}`,
  );
}
