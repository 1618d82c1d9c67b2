/** Suite wiring shared by the mock-gemini tests: one mock per file, reset before every test. */
import { afterAll, beforeEach } from 'vitest';
import { startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';

/** Registers the hooks; call once at the top level of a test file. Returns the running mock. */
export function useMockGemini(): () => MockGemini {
  let mock: MockGemini;
  beforeEach(async () => {
    mock ??= await startMockGemini();
    mock.reset();
  });
  afterAll(() => mock.close());
  return () => mock;
}
