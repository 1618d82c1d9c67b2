/**
 * Hooks for tests that start gateways of their own, each with its own settings, in front of one
 * mock upstream: the mock starts before the tests; after them every gateway is closed, then the mock.
 */
import { afterAll, beforeAll } from 'vitest';
import { startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway, type TestGatewayOptions } from './gateway.js';

export function useMockWithGateways(): {
  mock(): MockGemini;
  /** A gateway in front of the mock, closed after the tests. */
  start(opts?: Omit<TestGatewayOptions, 'upstreamUrl'>): Promise<TestGateway>;
} {
  let mock: MockGemini | undefined;
  const gateways: TestGateway[] = [];

  beforeAll(async () => {
    mock = await startMockGemini();
  });

  afterAll(async () => {
    for (const gw of gateways) await gw.close();
    await mock?.close();
  });

  return {
    mock: () => mock!,
    async start(opts = {}) {
      const gw = await startNodeGateway({ ...opts, upstreamUrl: mock!.url });
      gateways.push(gw);
      return gw;
    },
  };
}
