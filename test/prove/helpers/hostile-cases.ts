import fc from 'fast-check';
import { deref, jsonTypesOf, schemaAt, type JsonSchema, type JsonType, type OpenApiDocument, type Operation } from './spec.ts';
import type { ValidBody } from './valid-requests.ts';

/** One hostile request, and what kind of hostility it carries (for the failure report). */
export interface HostileCase {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface CaseContext {
  doc: OpenApiDocument;
  op: Operation;
  /** The path with the caller's own ids: a hostile body or query reaches the route's validation, not a 404. */
  path: (override?: (param: string) => string | undefined) => string;
  body: ValidBody | undefined;
  /** Keys to send with, the route's own first (each role's valid key, the other kinds). */
  keys: string[];
}

type Step = string | number;
const SENTINEL = 'ZZ-HOSTILE-ZZ';
const QUOTED_SENTINEL = JSON.stringify(SENTINEL);

/** Keys that name the prototype chain, or are ordinary but unknown. */
const EXTRA_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'isAdmin', 'tenantId', 'id', ''];
/** Ids aimed at path handling: dot segments, encoded separators, NUL, bytes that are not UTF-8, key syntax. */
const HOSTILE_IDS = [
  '..', '.', '%2e%2e', '%2E%2E', '.%2e', '%2e', '..%2F..%2Fapi-keys', '%2F', 'a%2Fb', '%2e%2e%2f%2e%2e%2fv1', '..%5C..', '%5C',
  '%00', 'pol_x%00', '%FF%FE', '%C0%AF', '%ED%A0%80', '%', '%zz', '%25', '__proto__', 'constructor', 'prototype', 'T%23x%23POLICY%23',
  '*', '%20', '%0A', 'x'.repeat(5000), 'srv_' + '0'.repeat(64), '%3Fx%3D1', '%23frag', '~', 'null', 'undefined',
];
/** Content types that are not what the route reads. */
const WRONG_TYPES = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'text/html', 'application/octet-stream', 'image/png', 'application/jsonx', 'json', ''];
const ENCODINGS = ['gzip', 'br', 'deflate', 'compress', 'zstd', 'x-unknown', 'gzip, br', 'identity, gzip'];
const BAD_UTF8 = [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc0, 0xaf], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80]];

/** Every location inside a JSON value (the root is `[]`). */
function locations(value: unknown, at: Step[] = []): Step[][] {
  const here = [at];
  if (Array.isArray(value)) return here.concat(...value.map((v, i) => locations(v, [...at, i])));
  if (value && typeof value === 'object') return here.concat(...Object.entries(value).map(([k, v]) => locations(v, [...at, k])));
  return here;
}

const clone = (v: unknown): any => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

/** `value` with the thing at `at` replaced. */
function replaced(value: unknown, at: Step[], by: unknown): unknown {
  if (at.length === 0) return by;
  const copy = clone(value);
  let parent = copy;
  for (const step of at.slice(0, -1)) parent = parent[step];
  parent[at[at.length - 1]!] = by;
  return copy;
}

/** The JSON text of `value` whose sentinel string (at most one) is replaced by raw bytes. */
function withRaw(value: unknown, raw: Buffer): Buffer {
  const text = JSON.stringify(value);
  const at = text.indexOf(QUOTED_SENTINEL);
  if (at < 0) return Buffer.from(text);
  return Buffer.concat([Buffer.from(text.slice(0, at)), raw, Buffer.from(text.slice(at + QUOTED_SENTINEL.length))]);
}

/** A value of a JSON type the schema does not accept. */
const VALUE_OF: Record<JsonType, unknown> = { string: 'x', number: 1.5, integer: 7, boolean: true, null: null, object: { a: 1 }, array: [1] };
function wrongValues(types: Set<JsonType>): unknown[] {
  return (Object.keys(VALUE_OF) as JsonType[]).filter((t) => !types.has(t) && !(t === 'integer' && types.has('number'))).map((t) => VALUE_OF[t]);
}

/** Query values that break the parameter's declared schema; none when the schema takes any string. */
function badQueryValues(schema: JsonSchema | undefined, doc: OpenApiDocument): string[] {
  const s = deref(doc, schema) ?? {};
  const bad: string[] = [];
  const types = jsonTypesOf(doc, s);
  if (types.has('integer') || types.has('number')) bad.push('abc', '1e999', '-1', '1.5', '%00');
  if (typeof s.maximum === 'number') bad.push(String(s.maximum + 1));
  if (typeof s.minimum === 'number') bad.push(String(s.minimum - 1));
  if (s.enum) bad.push('bogus', '%00', encodeURIComponent('x'.repeat(300)));
  if (s.format === 'date-time') bad.push('yesterday', '2026-13-45T99:99:99Z', '%00');
  if (s.pattern) bad.push('%00%2F..', '..%2F..');
  if (typeof s.maxLength === 'number') bad.push('x'.repeat(s.maxLength + 1));
  if (types.has('boolean') && !types.has('string')) bad.push('maybe', '%00');
  return bad;
}

/**
 * Hostile requests for one operation, each wrong in at least one way the spec rules out: wrong types,
 * missing and extra fields (prototype keys among them), huge strings, deep nesting, bytes that are not
 * UTF-8, NUL, dot segments and encoded separators in ids, bad query strings, wrong content types and
 * content encodings, a body where the route takes none; with any of the given keys.
 */
export function hostileCases(ctx: CaseContext): fc.Arbitrary<HostileCase> {
  const { doc, op } = ctx;
  const key = fc.oneof({ weight: 3, arbitrary: fc.constant(ctx.keys[0]!) }, { weight: 1, arbitrary: fc.constantFrom(...ctx.keys) });
  const json = ctx.body && 'json' in ctx.body ? ctx.body.json : undefined;
  const schema = op.body?.schema;
  const make = (kind: string, parts: { path?: string; headers?: Record<string, string>; body?: Buffer }) =>
    key.map((k): HostileCase => ({ kind, method: op.method, path: parts.path ?? ctx.path(), headers: { authorization: `Bearer ${k}`, ...parts.headers }, body: parts.body }));
  const asJson = (body: Buffer, extra: Record<string, string> = {}) => ({ body, headers: { 'content-type': 'application/json', ...extra } });
  /** The valid body as the route reads it (or nothing, when it takes none). */
  const validParts = (): { body?: Buffer; headers?: Record<string, string> } =>
    !ctx.body ? {} : 'json' in ctx.body ? asJson(Buffer.from(JSON.stringify(ctx.body.json))) : { body: Buffer.from(ctx.body.raw), headers: { 'content-type': ctx.body.contentType } };

  const cases: fc.Arbitrary<HostileCase>[] = [];

  if (json !== undefined) {
    const all = locations(json);
    const objects = all.filter((at) => {
      const v = at.reduce((o: any, s) => o[s], json);
      return v && typeof v === 'object' && !Array.isArray(v);
    });
    const strings = all.filter((at) => typeof at.reduce((o: any, s) => o[s], json) === 'string');
    const typed = all
      .map((at) => ({ at, wrong: wrongValues(jsonTypesOf(doc, schemaAt(doc, schema, at))) }))
      .filter((t) => t.wrong.length > 0 && (t.at.length === 0 || schemaAt(doc, schema, t.at) !== undefined));
    if (typed.length) {
      cases.push(fc.constantFrom(...typed).chain(({ at, wrong }) => fc.constantFrom(...wrong).chain((value) => make('wrong type', asJson(Buffer.from(JSON.stringify(replaced(json, at, value))))))));
    }
    const required = objects.flatMap((at) => ((deref(doc, schemaAt(doc, schema, at))?.required ?? []) as string[]).map((name) => [...at, name]));
    if (required.length) {
      cases.push(
        fc.constantFrom(...required).chain((at) => {
          const copy = clone(json);
          const parent = at.slice(0, -1).reduce((o: any, s) => o[s], copy);
          delete parent[at[at.length - 1]!];
          return make('missing field', asJson(Buffer.from(JSON.stringify(copy))));
        }),
      );
    }
    // An extra key is written into the text, so `__proto__` arrives as a key and not as a prototype.
    cases.push(
      fc
        .tuple(fc.constantFrom(...objects), fc.oneof(fc.constantFrom(...EXTRA_KEYS), fc.string({ maxLength: 12 })), fc.jsonValue({ maxDepth: 2 }))
        .filter(([at, name]) => !Object.keys(deref(doc, schemaAt(doc, schema, at))?.properties ?? {}).includes(name))
        .chain(([at, name, value]) => {
          const text = JSON.stringify(replaced(json, [...at, SENTINEL], value));
          return make('extra field', asJson(Buffer.from(text.replace(QUOTED_SENTINEL, JSON.stringify(name)))));
        }),
    );
    cases.push(
      fc
        .tuple(fc.constantFrom(...(strings.length ? strings : all)), fc.constantFrom(5_000, 70_000, 300_000))
        .chain(([at, size]) => make(`huge string (${size})`, asJson(Buffer.from(JSON.stringify(replaced(json, at, 'x'.repeat(size))))))),
    );
    cases.push(
      fc.tuple(fc.constantFrom(...all), fc.constantFrom(64, 2_000, 50_000), fc.boolean()).chain(([at, depth, arrays]) => {
        const nested = arrays ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}0${'}'.repeat(depth)}`;
        return make(`deep nesting (${depth})`, asJson(withRaw(replaced(json, at, SENTINEL), Buffer.from(nested))));
      }),
    );
    cases.push(
      fc.tuple(fc.constantFrom(...(strings.length ? strings : all)), fc.constantFrom(...BAD_UTF8)).chain(([at, bytes]) =>
        make('invalid UTF-8', asJson(withRaw(replaced(json, at, SENTINEL), Buffer.concat([Buffer.from('"a'), Buffer.from(bytes), Buffer.from('b"')])))),
      ),
    );
    cases.push(
      fc.tuple(fc.constantFrom(...(strings.length ? strings : all)), fc.boolean()).chain(([at, escaped]) =>
        make(escaped ? 'NUL (escaped)' : 'NUL (raw)', asJson(withRaw(replaced(json, at, SENTINEL), Buffer.from(escaped ? '"a\\u0000b"' : '"a\u0000b"')))),
      ),
    );
  } else {
    // A route that takes no JSON body: one sent anyway, with fields it does not know.
    cases.push(
      fc
        .tuple(fc.constantFrom(...EXTRA_KEYS), fc.jsonValue({ maxDepth: 2 }))
        .chain(([name, value]) => make('unexpected body', asJson(Buffer.from(`{${JSON.stringify(name)}:${JSON.stringify(value ?? null)}}`)))),
    );
  }

  // The valid body, but with a content type or content encoding the route does not read.
  const valid = validParts();
  const wrongTypes = WRONG_TYPES.filter((t) => !(op.body?.contentTypes ?? []).includes(t));
  const sendable = valid.body ?? Buffer.from('{"a":1}');
  cases.push(fc.constantFrom(...wrongTypes).chain((type) => make(`content-type ${type || '(none)'}`, { body: sendable, headers: type ? { 'content-type': type } : {} })));
  cases.push(fc.constantFrom(...ENCODINGS).chain((enc) => make(`content-encoding ${enc}`, { body: sendable, headers: { ...(valid.headers ?? { 'content-type': 'application/json' }), 'content-encoding': enc } })));

  if (op.pathParams.length) {
    cases.push(
      fc.tuple(fc.subarray(op.pathParams, { minLength: 1 }), fc.oneof(fc.constantFrom(...HOSTILE_IDS), fc.string({ minLength: 1, maxLength: 40 }).map((s) => `${encodeURIComponent(s)}%2F..`))).chain(([params, id]) =>
        make(`hostile id ${id.slice(0, 40)}`, { ...valid, path: ctx.path((p) => (params.includes(p) ? id : undefined)) }),
      ),
    );
  }

  const badKnown = op.queryParams.flatMap((p) => badQueryValues(p.schema, doc).map((v) => `${encodeURIComponent(p.name)}=${v}`));
  const unknownQuery = fc.constantFrom('__proto__=1', 'constructor=x', 'toString=%zz', 'a[b]=1', 'limit[]=1', `x=${'y'.repeat(3000)}`, 'tenantId=tnt_0000000000', '%FF%FE=1', 'q=%00', `${'p=1&'.repeat(200)}z=1`);
  cases.push(
    fc.oneof(unknownQuery, ...(badKnown.length ? [fc.constantFrom(...badKnown)] : [])).chain((query) => make(`query ${query.slice(0, 40)}`, { ...valid, path: `${ctx.path()}?${query}` })),
  );

  return fc.oneof(...cases);
}
