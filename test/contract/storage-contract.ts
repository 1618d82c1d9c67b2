/**
 * The suite every `Storage` adapter must pass (SQLite, D1, memory). It imports nothing Node-only,
 * so a workerd test can run it against D1 too.
 */
import { describe } from 'vitest';
import type { MakeStorage } from './fixture.js';
import { keyContract } from './key-contract.js';
import { resourceContract } from './resource-contract.js';
import { settingsContract } from './settings-contract.js';
import { usageContract } from './usage-contract.js';
import { writeContract } from './write-contract.js';

export type { MakeStorage, StorageFixture } from './fixture.js';

/** Registers the storage contract under `describe(name)`; `makeStorage` returns a fresh, empty storage. */
export function runStorageContract(name: string, makeStorage: MakeStorage): void {
  describe(`storage contract: ${name}`, () => {
    // Each part opens its own fixture per test, so each sits in its own describe.
    describe('keys', () => keyContract(makeStorage));
    describe('writes', () => writeContract(makeStorage));
    describe('usage', () => usageContract(makeStorage));
    describe('settings', () => settingsContract(makeStorage));
    describe('resources', () => resourceContract(makeStorage));
  });
}
