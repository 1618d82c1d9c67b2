/**
 * Runs in Node before the worker project: starts the mock Gemini upstream on 127.0.0.1 and hands
 * its URL to the Workers pool (see `inject('mockGeminiUrl')` in vitest.config.ts).
 */
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { startMockGemini } from '../fixtures/mock-gemini/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    mockGeminiUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const mock = await startMockGemini();
  project.provide('mockGeminiUrl', mock.url);
  return () => mock.close();
}
