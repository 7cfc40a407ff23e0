import { batchGet, batchPut, type BatchStats } from './batch.ts';
import { deleteItem, getItem, ifExists, ifNew, putItem, queryAll, queryPage, updateItem, withoutKeys, type Changes, type Condition, type Item, type Page, type PageRequest, type PartitionQuery } from './db.ts';
import { keyOf, keyString, type Key } from './keys.ts';

/**
 * One declaration per stored entity: how its key and index keys are made (from store/keys.ts), and with
 * that every read and write it needs, typed, with the keys added on the way in and dropped on the way
 * out. Why our own ~100 lines rather than ElectroDB or dynamodb-toolbox: both fit, but each adds its own
 * key encoding and attribute bookkeeping to every item (a migration of the stored data, and 60-110 KiB
 * minified in every Lambda bundle), while our access patterns are few and already declared in keys.ts.
 * docs/architecture.md has the measurement.
 */
export interface EntityDeclaration<T extends object, Id> {
  /** For messages. */
  name: string;
  key(tenantId: string, id: Id): Key;
  /** The id of a stored value (to derive its key). */
  idOf(value: T): Id;
  /** Index key attributes written with the item (gsiNpk/gsiNsk), when it is in any index. */
  indexes?(tenantId: string, value: T): Record<string, string>;
}

export interface Entity<T extends object, Id> {
  readonly name: string;
  key(tenantId: string, id: Id): Key;
  /** The stored item: keys, index keys and the value. */
  item(tenantId: string, value: T): Item;
  /** The value of a stored item (storage attributes dropped). */
  fromItem(item: Item): T;
  get(tenantId: string, id: Id, options?: { consistent?: boolean }): Promise<T | undefined>;
  /** Puts the value; false when `condition` failed. */
  put(tenantId: string, value: T, condition?: Condition): Promise<boolean>;
  /** Puts a value that must not exist yet; false when it did (a retried request). */
  create(tenantId: string, value: T): Promise<boolean>;
  /** Updates an existing item (by default it must exist); the new value, or undefined when the condition failed. */
  update(tenantId: string, id: Id, changes: Changes, condition?: Condition | null): Promise<T | undefined>;
  /** Deletes an existing item; false when it was not there (or the condition failed). */
  remove(tenantId: string, id: Id, condition?: Condition): Promise<boolean>;
  /** Several by id (BatchGetItem), in the order asked; missing ones are absent. */
  getMany(tenantId: string, ids: readonly Id[]): Promise<T[]>;
  /** Many puts (BatchWriteItem, unconditional). */
  putMany(tenantId: string, values: readonly T[]): Promise<BatchStats>;
  /** One page of a partition query. */
  page(query: PartitionQuery, page: PageRequest): Promise<Page<T>>;
  /** Every item of a (small) partition query. */
  all(query: PartitionQuery): Promise<T[]>;
}

export function defineEntity<T extends object, Id = string>(declaration: EntityDeclaration<T, Id>): Entity<T, Id> {
  const item = (tenantId: string, value: T): Item => ({
    ...declaration.key(tenantId, declaration.idOf(value)),
    ...declaration.indexes?.(tenantId, value),
    ...(value as Item),
  });
  const fromItem = (stored: Item) => withoutKeys<T>(stored);
  return {
    name: declaration.name,
    key: declaration.key,
    item,
    fromItem,
    get: async (tenantId, id, options = {}) => {
      const stored = await getItem(declaration.key(tenantId, id), options.consistent ?? false);
      return stored ? fromItem(stored) : undefined;
    },
    put: (tenantId, value, condition) => putItem(item(tenantId, value), condition),
    create: (tenantId, value) => putItem(item(tenantId, value), ifNew),
    update: async (tenantId, id, changes, condition = ifExists) => {
      const updated = await updateItem(declaration.key(tenantId, id), changes, condition);
      return updated ? fromItem(updated) : undefined;
    },
    remove: (tenantId, id, condition = ifExists) => deleteItem(declaration.key(tenantId, id), condition),
    getMany: async (tenantId, ids) => {
      const wanted = ids.map((id) => declaration.key(tenantId, id));
      const found = new Map((await batchGet(wanted)).map((stored) => [keyString(keyOf(stored)), stored]));
      return wanted.flatMap((key) => {
        const stored = found.get(keyString(key));
        return stored ? [fromItem(stored)] : [];
      });
    },
    putMany: (tenantId, values) => batchPut(values.map((v) => item(tenantId, v))),
    page: async (query, page) => {
      const out = await queryPage(query, page);
      return { items: out.items.map(fromItem), nextCursor: out.nextCursor };
    },
    all: async (query) => (await queryAll(query)).map(fromItem),
  };
}
