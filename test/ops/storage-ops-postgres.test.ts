/** The ops storage contract against PostgreSQL. */
import { describe } from 'vitest';
import { postgresFixtures } from '../contract/postgres-fixture.js';
import { postgresMissing } from '../support/postgres-server.js';
import { opsStorageContract } from './storage-ops-contract.js';

const makePostgres = postgresFixtures();

describe.skipIf(postgresMissing())('PostgreSQL', () => {
  opsStorageContract('postgres', makePostgres());
});
