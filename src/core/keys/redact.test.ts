import { describe, expect, it } from 'vitest';
import { redactSecrets } from './redact.js';

const KEY = 'AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrXy12';

describe('redactSecrets', () => {
  it('masks Google keys anywhere', () => {
    const out = redactSecrets(`Consumer 'api_key:${KEY}' has been suspended`);
    expect(out).toBe("Consumer 'api_key:AIza…Xy12' has been suspended");
  });

  it('masks key= query values', () => {
    expect(redactSecrets('GET /v1beta/models?alt=sse&key=secretvalue123&x=1')).toBe(
      'GET /v1beta/models?alt=sse&key=secr…e123&x=1',
    );
    expect(redactSecrets(`https://h/v1beta/models?key=${KEY}`)).toBe('https://h/v1beta/models?key=AIza…Xy12');
  });

  it('masks Bearer values', () => {
    expect(redactSecrets('Authorization: Bearer gkp_abcdefghijklmnopqrstuvwxyz')).toBe(
      'Authorization: Bearer gkp_…wxyz',
    );
    expect(redactSecrets(`{"authorization":"Bearer ${KEY}"}`)).toBe('{"authorization":"Bearer AIza…Xy12"}');
  });

  it('masks known keys that do not look like Google keys', () => {
    const known = 'custom-key-0123456789abcdef';
    expect(redactSecrets(`failed with ${known} twice: ${known}`, [known, 'short'])).toBe(
      'failed with cust…cdef twice: cust…cdef',
    );
  });

  it('leaves ordinary text alone', () => {
    const text = 'The model is overloaded. Please try again later (monkey=1, keys=2).';
    expect(redactSecrets(text)).toBe(text);
  });
});
