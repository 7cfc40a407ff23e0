/**
 * The operations of a running stack's /openapi.json, read as data: a hostile-input or isolation test built
 * from it covers every route, including routes added after the test was written.
 */
export type JsonSchema = Record<string, any>;
export type Credential = 'operatorKey' | 'apiKey' | 'agentCredential' | 'enrollmentKey';
export type JsonType = 'string' | 'number' | 'integer' | 'boolean' | 'null' | 'object' | 'array';

export interface Operation {
  operationId: string;
  method: string;
  /** The template, `/v1/servers/{id}`. */
  path: string;
  credential: Credential;
  pathParams: string[];
  queryParams: Array<{ name: string; schema: JsonSchema }>;
  /** Content types the body may have, and the JSON body's schema; undefined when the route takes no body. */
  body?: { contentTypes: string[]; required: boolean; schema?: JsonSchema };
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, any>>;
  components: { schemas: Record<string, JsonSchema> };
}

/** Every operation of the document. */
export function operationsOf(doc: OpenApiDocument): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const params = (op.parameters ?? []) as Array<{ name: string; in: string; schema: JsonSchema }>;
      const content = op.requestBody?.content as Record<string, { schema?: JsonSchema }> | undefined;
      ops.push({
        operationId: op.operationId,
        method: method.toUpperCase(),
        path,
        credential: Object.keys(op.security?.[0] ?? {})[0] as Credential,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema })),
        body: content ? { contentTypes: Object.keys(content), required: op.requestBody.required === true, schema: content['application/json']?.schema } : undefined,
      });
    }
  }
  return ops;
}

/** The schema behind `$ref`s (and a lone `allOf` wrapper). */
export function deref(doc: OpenApiDocument, schema: JsonSchema | undefined): JsonSchema | undefined {
  let s = schema;
  for (let i = 0; s && i < 20; i++) {
    if (s.$ref) s = doc.components.schemas[String(s.$ref).split('/').pop()!];
    else if (s.allOf?.length === 1 && !s.type && !s.properties) s = s.allOf[0];
    else break;
  }
  return s;
}

/** The schema of the value at `path` (object keys and array indexes) inside a value of `root`. */
export function schemaAt(doc: OpenApiDocument, root: JsonSchema | undefined, path: Array<string | number>): JsonSchema | undefined {
  let s = deref(doc, root);
  for (const step of path) {
    if (!s) return undefined;
    const options = s.anyOf ?? s.oneOf;
    if (options) s = deref(doc, options.find((o: JsonSchema) => deref(doc, o)?.type !== 'null'));
    s = deref(doc, typeof step === 'number' ? s?.items : s?.properties?.[step]);
  }
  return s;
}

/** The JSON types a schema accepts (every type when it says nothing). */
export function jsonTypesOf(doc: OpenApiDocument, schema: JsonSchema | undefined): Set<JsonType> {
  const s = deref(doc, schema);
  const all: JsonType[] = ['string', 'number', 'integer', 'boolean', 'null', 'object', 'array'];
  if (!s) return new Set(all);
  const options = s.anyOf ?? s.oneOf ?? (s.allOf?.length ? s.allOf : undefined);
  if (options && !s.type) return new Set(options.flatMap((o: JsonSchema) => [...jsonTypesOf(doc, o)]));
  if (s.type) {
    const types = new Set<JsonType>(Array.isArray(s.type) ? s.type : [s.type]);
    if (types.has('number')) types.add('integer');
    return types;
  }
  if (s.enum) return new Set(s.enum.map((v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v)) as JsonType[]);
  if (s.properties) return new Set(['object']);
  return new Set(all);
}
