import { describe, expect, it } from 'vitest';
import { clientAddressOf } from './client-address.js';

describe('clientAddressOf', () => {
  it('uses the connection address unless the proxy is trusted', () => {
    expect(clientAddressOf('203.0.113.7', '127.0.0.1', false)).toBe('127.0.0.1');
    expect(clientAddressOf(null, undefined, false)).toBe('unknown');
  });

  it('behind a trusted proxy, takes the entry the proxy appended, not ones the client sent', () => {
    expect(clientAddressOf('198.51.100.1, 203.0.113.7', '127.0.0.1', true)).toBe('203.0.113.7');
    expect(clientAddressOf('203.0.113.7', '127.0.0.1', true)).toBe('203.0.113.7');
    expect(clientAddressOf(' , ', '127.0.0.1', true)).toBe('127.0.0.1');
    expect(clientAddressOf(null, '127.0.0.1', true)).toBe('127.0.0.1');
  });
});
