import { describe, expect, it } from 'vitest';
import { cleanParameters, cleanSchema } from './schema-clean.js';

describe('cleanSchema', () => {
  it('drops keys Gemini refuses, at every depth', () => {
    const out = cleanSchema({
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      additionalProperties: false,
      properties: {
        path: { type: 'string', description: 'A file', format: 'uri', minLength: 1 },
        lines: {
          type: 'array',
          items: { type: 'object', additionalProperties: false, properties: { n: { type: 'integer' } } },
          uniqueItems: true,
        },
        mode: { const: 'read' },
        count: { type: 'integer', exclusiveMinimum: 0, multipleOf: 2 },
        when: { type: 'string', format: 'date-time' },
      },
      required: ['path', 'ghost'],
      propertyNames: { pattern: '^[a-z]+$' },
    });
    expect(out).toEqual({
      type: 'object',
      properties: {
        path: { type: 'string', description: 'A file', minLength: 1 },
        lines: { type: 'array', items: { type: 'object', properties: { n: { type: 'integer' } } } },
        mode: { type: 'string', enum: ['read'] },
        count: { type: 'integer', minimum: 1 },
        when: { type: 'string', format: 'date-time' },
      },
      required: ['path'],
    });
  });

  it('turns type lists and null branches into nullable', () => {
    expect(cleanSchema({ type: ['string', 'null'] })).toEqual({ type: 'string', nullable: true });
    expect(cleanSchema({ anyOf: [{ type: 'integer' }, { type: 'null' }] })).toEqual({
      type: 'integer',
      nullable: true,
    });
    expect(cleanSchema({ type: ['string', 'integer'] })).toEqual({
      anyOf: [{ type: 'string' }, { type: 'integer' }],
    });
    expect(cleanSchema({ type: ['object', 'null'], properties: { a: { type: 'string' } } })).toEqual({
      type: 'object',
      properties: { a: { type: 'string' } },
      nullable: true,
    });
  });

  it('resolves $ref against $defs and stops on recursion', () => {
    const out = cleanSchema({
      type: 'object',
      properties: { node: { $ref: '#/$defs/Node' } },
      $defs: {
        Node: { type: 'object', properties: { name: { type: 'string' }, child: { $ref: '#/$defs/Node' } } },
      },
    });
    let node = (out.properties as Record<string, Record<string, unknown>>).node;
    let depth = 0;
    while (node && node.properties) {
      depth++;
      node = (node.properties as Record<string, Record<string, unknown>>).child as Record<string, unknown>;
    }
    expect(depth).toBe(8);
    expect(node).toEqual({ type: 'object' });
  });

  it('maps oneOf to anyOf and folds allOf', () => {
    expect(cleanSchema({ oneOf: [{ type: 'string' }, { type: 'number' }] })).toEqual({
      anyOf: [{ type: 'string' }, { type: 'number' }],
    });
    expect(
      cleanSchema({
        allOf: [
          { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
          { properties: { b: { type: 'number' } } },
        ],
      }),
    ).toEqual({
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'number' } },
      required: ['a'],
    });
  });

  it('stringifies enum values and drops empty properties', () => {
    expect(cleanSchema({ type: 'integer', enum: [1, 2, null] })).toEqual({
      type: 'integer',
      enum: ['1', '2'],
      nullable: true,
    });
    expect(cleanSchema({ type: 'object', properties: {} })).toEqual({ type: 'object' });
  });

  it('does not mutate its input', () => {
    const input = { type: 'object', additionalProperties: false, properties: { a: { type: 'string' } } };
    const copy = structuredClone(input);
    cleanSchema(input);
    expect(input).toEqual(copy);
  });
});

describe('cleanParameters', () => {
  it('leaves out parameters of a function that takes none', () => {
    expect(cleanParameters({ type: 'object', properties: {}, additionalProperties: false })).toBeUndefined();
    expect(cleanParameters(undefined)).toBeUndefined();
    expect(cleanParameters({ type: 'object', properties: { q: { type: 'string' } } })).toEqual({
      type: 'object',
      properties: { q: { type: 'string' } },
    });
  });
});
