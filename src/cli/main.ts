/** The CLI's process entry (`bin/gemini-key-pool.js` loads it through tsx). */
import { processIo } from './io.js';
import { runCli } from './run.js';

process.exitCode = await runCli(process.argv.slice(2), processIo());
