/**
 * JSON Schema (as OpenAI and Anthropic clients send it) → the OpenAPI 3.0 subset Gemini accepts in
 * `functionDeclarations[].parameters` and `generationConfig.responseSchema`.
 *
 * Gemini's `Schema` message knows only: type, format, title, description, nullable, enum, items,
 * minItems, maxItems, properties, required, minProperties, maxProperties, minLength, maxLength,
 * pattern, minimum, maximum, anyOf, propertyOrdering, default, example. Any other key (`$schema`,
 * `additionalProperties`, `exclusiveMinimum`, `const`, `propertyNames`, `$ref`…) fails the whole
 * request with `400 Invalid JSON payload received. Unknown name …`. Beyond unknown keys it refuses:
 * a type list (`["string","null"]`), `properties` on a non-object, an empty `properties` on an
 * object, `required` names missing from `properties`, and STRING formats other than `enum` and
 * `date-time`.
 * Spec: https://ai.google.dev/api/caching#Schema
 */
import type { JsonObject, JsonValue } from './types.js';

const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object']);
const KEPT_SCALARS = [
  'title',
  'description',
  'pattern',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'minProperties',
  'maxProperties',
  'minimum',
  'maximum',
  'default',
  'example',
] as const;
const FORMATS: Record<string, ReadonlySet<string>> = {
  string: new Set(['enum', 'date-time']),
  number: new Set(['float', 'double']),
  integer: new Set(['int32', 'int64']),
};
/** `$ref` chains deeper than this (recursive schemas) become a plain object. */
const MAX_REF_DEPTH = 8;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Walk {
  defs: JsonObject;
  refDepth: number;
}

/** A cleaned copy of `schema`; never throws, never mutates its input. */
export function cleanSchema(schema: unknown): JsonObject {
  if (!isObject(schema)) return {};
  const defs = { ...asObject(schema.definitions), ...asObject(schema.$defs) };
  return clean(schema, { defs, refDepth: 0 });
}

/**
 * The `parameters` of a function declaration, or undefined when the function takes none: Gemini
 * refuses an OBJECT with empty `properties`, and a declaration without `parameters` is valid.
 */
export function cleanParameters(schema: unknown): JsonObject | undefined {
  const cleaned = cleanSchema(schema);
  if (!isObject(cleaned.properties) && cleaned.anyOf === undefined) return undefined;
  return cleaned;
}

function asObject(v: JsonValue | undefined): JsonObject {
  return isObject(v) ? v : {};
}

function resolveRef(ref: string, walk: Walk): JsonObject | null {
  const name = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(ref)?.[1];
  const target = name === undefined ? undefined : walk.defs[decodeURIComponent(name)];
  return isObject(target) ? target : null;
}

function clean(input: JsonObject, walk: Walk): JsonObject {
  let schema = input;
  if (typeof schema.$ref === 'string') {
    const target = walk.refDepth < MAX_REF_DEPTH ? resolveRef(schema.$ref, walk) : null;
    if (!target) return { type: 'object', ...descriptionOf(schema) };
    walk = { ...walk, refDepth: walk.refDepth + 1 };
    schema = { ...target, ...withoutRef(schema) };
  }
  if (Array.isArray(schema.allOf)) schema = mergeAllOf(schema);

  const out: JsonObject = {};
  let nullable = schema.nullable === true;
  const types = typeList(schema.type);
  if (types.includes('null')) nullable = true;
  const concrete = types.filter((t) => TYPES.has(t));

  const union = Array.isArray(schema.anyOf)
    ? schema.anyOf
    : Array.isArray(schema.oneOf)
      ? schema.oneOf
      : null;
  if (union) {
    const branches: JsonObject[] = [];
    for (const branch of union) {
      if (!isObject(branch)) continue;
      if (branch.type === 'null') nullable = true;
      else branches.push(clean(branch, walk));
    }
    if (branches.length === 1 && concrete.length === 0) Object.assign(out, branches[0]);
    else if (branches.length > 0) out.anyOf = branches;
  }

  if (concrete.length > 1) {
    // A type list becomes a union of single-type copies of this node.
    const single = concrete.map((t) => clean({ ...withoutUnion(schema), type: t }, walk));
    out.anyOf = single;
    return finish(out, schema, nullable);
  }
  const type = concrete[0] ?? (schema.const !== undefined ? typeOfConst(schema.const) : inferType(schema));
  if (type) out.type = type;

  for (const key of KEPT_SCALARS) {
    const value = schema[key];
    if (value !== undefined && value !== null && typeof value !== 'object') out[key] = value;
  }
  if (typeof schema.exclusiveMinimum === 'number' && out.minimum === undefined)
    out.minimum = type === 'integer' ? Math.floor(schema.exclusiveMinimum) + 1 : schema.exclusiveMinimum;
  if (typeof schema.exclusiveMaximum === 'number' && out.maximum === undefined)
    out.maximum = type === 'integer' ? Math.ceil(schema.exclusiveMaximum) - 1 : schema.exclusiveMaximum;
  if (typeof schema.format === 'string' && type && FORMATS[type]?.has(schema.format))
    out.format = schema.format;

  const values = Array.isArray(schema.enum)
    ? schema.enum
    : schema.const !== undefined
      ? [schema.const]
      : null;
  if (values) {
    if (values.includes(null)) nullable = true;
    const kept = values.filter((v) => v !== null && typeof v !== 'object').map(String);
    if (kept.length > 0) out.enum = kept;
  }

  if (type === 'array' && isObject(schema.items)) out.items = clean(schema.items, walk);
  if (type === 'object') cleanObject(out, schema, walk);
  return finish(out, schema, nullable);
}

function cleanObject(out: JsonObject, schema: JsonObject, walk: Walk): void {
  if (!isObject(schema.properties)) return;
  const properties: JsonObject = {};
  for (const [name, value] of Object.entries(schema.properties)) {
    if (isObject(value)) properties[name] = clean(value, walk);
  }
  const names = Object.keys(properties);
  if (names.length === 0) return;
  out.properties = properties;
  if (Array.isArray(schema.required)) {
    const required = schema.required.filter((r): r is string => typeof r === 'string' && r in properties);
    if (required.length > 0) out.required = required;
  }
  if (Array.isArray(schema.propertyOrdering)) {
    const ordering = schema.propertyOrdering.filter(
      (p): p is string => typeof p === 'string' && p in properties,
    );
    if (ordering.length > 0) out.propertyOrdering = ordering;
  }
}

function finish(out: JsonObject, schema: JsonObject, nullable: boolean): JsonObject {
  if (nullable) out.nullable = true;
  if (out.description === undefined && typeof schema.description === 'string')
    out.description = schema.description;
  return out;
}

function typeList(type: JsonValue | undefined): string[] {
  if (typeof type === 'string') return [type.toLowerCase()];
  if (Array.isArray(type))
    return type.filter((t): t is string => typeof t === 'string').map((t) => t.toLowerCase());
  return [];
}

function typeOfConst(value: JsonValue): string | undefined {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return undefined;
}

/** A schema without `type` but with object or array keywords is meant as one. */
function inferType(schema: JsonObject): string | undefined {
  if (isObject(schema.properties)) return 'object';
  if (isObject(schema.items)) return 'array';
  if (Array.isArray(schema.enum)) return 'string';
  return undefined;
}

function descriptionOf(schema: JsonObject): JsonObject {
  return typeof schema.description === 'string' ? { description: schema.description } : {};
}

function withoutRef(schema: JsonObject): JsonObject {
  const { $ref: _ref, ...rest } = schema;
  return rest;
}

function withoutUnion(schema: JsonObject): JsonObject {
  const { anyOf: _a, oneOf: _o, ...rest } = schema;
  return rest;
}

/** `allOf` folded into one node: properties and required merged, other keys first one wins. */
function mergeAllOf(schema: JsonObject): JsonObject {
  const { allOf, ...rest } = schema;
  const merged: JsonObject = { ...rest };
  const properties: JsonObject = { ...asObject(rest.properties) };
  const required = new Set(Array.isArray(rest.required) ? rest.required : []);
  for (const part of Array.isArray(allOf) ? allOf : []) {
    if (!isObject(part)) continue;
    Object.assign(properties, asObject(part.properties));
    if (Array.isArray(part.required)) for (const r of part.required) required.add(r);
    for (const [key, value] of Object.entries(part)) if (merged[key] === undefined) merged[key] = value;
  }
  if (Object.keys(properties).length > 0) merged.properties = properties;
  if (required.size > 0) merged.required = [...required];
  return merged;
}
