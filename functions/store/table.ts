/**
 * The single DynamoDB table's physical shape. Infra (CDK) and the local stack both create the table from
 * this declaration, so the indexes the store queries always exist. The three GSIs are overloaded: each
 * entity puts its own prefixed keys in them (store/keys.ts lists who uses which).
 */
export const TABLE_KEY = { partitionKey: 'pk', sortKey: 'sk' } as const;

export interface IndexDeclaration {
  indexName: 'gsi1' | 'gsi2' | 'gsi3';
  partitionKey: string;
  sortKey: string;
}

/** Global secondary indexes: name and key attribute names (all project ALL attributes). */
export const GSI1 = { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' } as const satisfies IndexDeclaration;
export const GSI2 = { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' } as const satisfies IndexDeclaration;
export const GSI3 = { indexName: 'gsi3', partitionKey: 'gsi3pk', sortKey: 'gsi3sk' } as const satisfies IndexDeclaration;

export const TABLE_INDEXES = [GSI1, GSI2, GSI3] as const;
export type IndexName = (typeof TABLE_INDEXES)[number]['indexName'];

export function indexOf(name: IndexName): IndexDeclaration {
  return TABLE_INDEXES.find((i) => i.indexName === name)!;
}

/** Attribute holding an epoch-seconds expiry; DynamoDB TTL deletes lazily, so readers also filter it. */
export const TTL_ATTRIBUTE = 'expiresAt';

/** Attributes that exist only for storage (keys, index keys): never part of a served shape. */
export const STORAGE_ATTRIBUTES: ReadonlySet<string> = new Set([
  TABLE_KEY.partitionKey,
  TABLE_KEY.sortKey,
  ...TABLE_INDEXES.flatMap((i) => [i.partitionKey, i.sortKey]),
]);
