import { describe, expect, it } from 'vitest';
import { framedAsJsonObject, scanObjectAt } from './usage-scan.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('framedAsJsonObject', () => {
  it('accepts an object with surrounding blanks and refuses cut, empty or non-object bodies', () => {
    expect(framedAsJsonObject(bytes(' \n{"a":1}\r\n'))).toBe(true);
    expect(framedAsJsonObject(bytes('{"a":1'))).toBe(false);
    expect(framedAsJsonObject(bytes(''))).toBe(false);
    expect(framedAsJsonObject(bytes('   '))).toBe(false);
    expect(framedAsJsonObject(bytes('[{"a":1}]'))).toBe(false);
    expect(framedAsJsonObject(bytes('<html>}'))).toBe(false);
    expect(framedAsJsonObject(bytes('{'))).toBe(false);
  });
});

describe('scanObjectAt', () => {
  it('reads the last usage object of an OpenAI response', () => {
    const body = {
      choices: [{ message: { content: 'the "usage": {"prompt_tokens": 999} of a string' } }],
      usage: { prompt_tokens: 6, completion_tokens: 3, total_tokens: 9 },
    };
    expect(scanObjectAt(bytes(JSON.stringify(body)), 'usage')).toEqual(body.usage);
    // The key's text inside a later string is escaped, so it is never taken for the key.
    const later = { usage: { total_tokens: 9 }, note: 'x "usage": {"total_tokens": 1}' };
    expect(scanObjectAt(bytes(JSON.stringify(later)), 'usage')).toEqual({ total_tokens: 9 });
  });

  it('reads usageMetadata with nested objects, strings holding braces, and whitespace around the colon', () => {
    const text = `{"candidates":[],"usageMetadata" :\n {"promptTokenCount":4,"note":"}{\\"}","promptTokensDetails":[{"modality":"TEXT","tokenCount":4}]},"modelVersion":"m"}`;
    expect(scanObjectAt(bytes(text), 'usageMetadata')).toEqual({
      promptTokenCount: 4,
      note: '}{"}',
      promptTokensDetails: [{ modality: 'TEXT', tokenCount: 4 }],
    });
  });

  it('gives undefined when the key is absent, not an object, unclosed or malformed', () => {
    expect(scanObjectAt(bytes('{"data":[{"embedding":[0.1,0.2]}]}'), 'usage')).toBeUndefined();
    expect(scanObjectAt(bytes('{"usage":null}'), 'usage')).toBeUndefined();
    expect(scanObjectAt(bytes('{"type":"usage"}'), 'usage')).toBeUndefined();
    expect(scanObjectAt(bytes('{"usage":{"a":1'), 'usage')).toBeUndefined();
    expect(scanObjectAt(bytes('{"usage":{"a":}}'), 'usage')).toBeUndefined();
  });
});
