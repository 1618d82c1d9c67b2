/** The ops storage contract against the SQLite file storage (D1 runs the same suite in workerd). */
import { sqliteFixtures } from '../contract/sqlite-fixture.js';
import { opsStorageContract } from './storage-ops-contract.js';

opsStorageContract('sqlite file', sqliteFixtures('gkp-ops-contract-')());
