/**
 * The single DynamoDB table's physical shape. Infra (CDK) and the local stack both create the table from
 * this declaration, so the indexes the store queries always exist.
 */
export const TABLE_KEY = { partitionKey: 'pk', sortKey: 'sk' } as const;

/** Global secondary indexes: name and key attribute names. */
export const GSI1 = { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' } as const;

export const TABLE_INDEXES = [GSI1] as const;

/** Attribute holding an epoch-seconds expiry; DynamoDB TTL deletes lazily, so readers also filter it. */
export const TTL_ATTRIBUTE = 'expiresAt';
