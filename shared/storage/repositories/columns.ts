/**
 * Column helpers shared by the repositories. Table Storage has no null and no nested values: the base
 * repository drops null/undefined properties on write and stores objects as JSON text (`jsonColumn`). A field
 * that is `null` in the domain therefore comes back absent; `nullColumn` maps it back to null on read.
 */
import { z } from 'zod';
import { jsonColumn } from '../repository';

/** A nullable domain field: absent in the row → null. */
export function nullColumn<T extends z.ZodType>(inner: T) {
  return z.preprocess((v) => (v === undefined ? null : v), inner.nullable());
}

/** A nullable object/array field stored as JSON text: absent → null. */
export function nullJsonColumn<T extends z.ZodType>(inner: T) {
  return z.preprocess((v) => (v === undefined ? null : v), jsonColumn(inner.nullable()));
}
