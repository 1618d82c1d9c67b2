import { describe } from 'vitest';
import { createAesGcmCipher } from '../../src/core/crypto.js';
import { postgresMissing } from '../support/postgres-server.js';
import { postgresFixtures } from './postgres-fixture.js';
import { runStorageContract } from './storage-contract.js';

const makePostgres = postgresFixtures();
const cipher = await createAesGcmCipher('contract-test-secret');

describe.skipIf(postgresMissing())('PostgreSQL', () => {
  runStorageContract('postgres', makePostgres());
  runStorageContract('postgres, AES-GCM', makePostgres(cipher));
});
