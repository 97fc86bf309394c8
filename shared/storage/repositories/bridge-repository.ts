/**
 * The tenant's audio-conferencing bridges (Get-CsOnlineDialInConferencingBridge): PartitionKey `bridge`, RowKey
 * = the bridge id. Each holds its service numbers with their places and languages, its default toll and
 * toll-free numbers and its "find a local number" page.
 */
import { z } from 'zod';
import type { Config } from '../../config';
import { jsonColumn, TableRepository, type Stored } from '../repository';

export const BRIDGE_TABLE = 'Bridges';
export const BRIDGE_PARTITION = 'bridge';

export const bridgeNumberSchema = z.object({
  /** E.164. */
  number: z.string().regex(/^\+[1-9]\d{6,14}$/, 'an E.164 number'),
  type: z.enum(['toll', 'tollFree']),
  city: z.string(),
  country: z.string(),
  /** BCP-47 languages of the number's prompts. */
  languages: z.array(z.string()).default([]),
});
export type BridgeNumber = z.output<typeof bridgeNumberSchema>;

export const bridgeSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  isDefault: z.boolean(),
  /** "Find a local number" page. */
  dialInUrl: z.string(),
  defaultTollNumber: z.string(),
  defaultTollFreeNumber: z.string().optional(),
  numbers: jsonColumn(z.array(bridgeNumberSchema)),
});
export type Bridge = z.output<typeof bridgeSchema>;
export type BridgeInput = z.input<typeof bridgeSchema>;

function strip(row: Stored<Bridge>): Bridge {
  const { partitionKey: _p, rowKey: _r, etag: _e, timestamp: _t, ...data } = row;
  return data;
}

export class BridgeRepository {
  readonly table: TableRepository<typeof bridgeSchema>;

  constructor(config: Pick<Config, 'tables' | 'tablesPrefix'>) {
    this.table = new TableRepository({ settings: config, logicalName: BRIDGE_TABLE, schema: bridgeSchema });
  }

  async get(bridgeId: string): Promise<Bridge | null> {
    const row = await this.table.tryGet(BRIDGE_PARTITION, bridgeId);
    return row ? strip(row) : null;
  }

  /** The bridge marked default (the first one when several are), or null. */
  async getDefault(): Promise<Bridge | null> {
    for await (const b of this.all()) if (b.isDefault) return b;
    return null;
  }

  /** The bridge of `bridgeId`, else the default one. */
  async resolve(bridgeId: string | undefined): Promise<Bridge | null> {
    if (bridgeId !== undefined) {
      const b = await this.get(bridgeId);
      if (b) return b;
    }
    return this.getDefault();
  }

  async *all(): AsyncGenerator<Bridge, void, undefined> {
    for await (const row of this.table.list()) yield strip(row);
  }

  async list(): Promise<Bridge[]> {
    const out: Bridge[] = [];
    for await (const b of this.all()) out.push(b);
    return out;
  }

  async upsert(bridge: BridgeInput): Promise<Bridge> {
    const parsed = bridgeSchema.parse(bridge);
    return strip(await this.table.upsert(BRIDGE_PARTITION, parsed.id, parsed));
  }

  /** Read-modify-write with etag retry (number registration); fn may run several times. */
  async mutate(bridgeId: string, fn: (current: Bridge) => Bridge | undefined): Promise<Bridge> {
    return strip(await this.table.mutate(BRIDGE_PARTITION, bridgeId, fn));
  }

  delete(bridgeId: string): Promise<boolean> {
    return this.table.delete(BRIDGE_PARTITION, bridgeId);
  }
}
