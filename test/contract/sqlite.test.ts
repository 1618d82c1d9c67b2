import { createAesGcmCipher } from '../../src/core/crypto.js';
import { sqliteFixtures } from './sqlite-fixture.js';
import { runStorageContract } from './storage-contract.js';

const makeSqlite = sqliteFixtures('gkp-contract-');

runStorageContract('sqlite file', makeSqlite());
runStorageContract('sqlite file, AES-GCM', makeSqlite(await createAesGcmCipher('contract-test-secret')));
