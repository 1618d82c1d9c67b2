/**
 * postgres.js 3.4 can throw from a timer after one of its connections closed: a small write it
 * deferred with `setImmediate` runs `socket.write` on the socket its `closed()` already set to null
 * (porsager/postgres issues 1154 and 1208, unfixed in 3.4.10). The query that write belonged to has
 * already been rejected with CONNECTION_CLOSED, so callers see the failure and retry; but the throw
 * escapes every caller, and without this guard ends the gateway whenever the database restarts.
 * The guard drops exactly that error (logged once a minute) and leaves every other uncaught
 * exception to end the process as Node would.
 */

const LOG_EVERY_MS = 60_000;
let installed = false;

/** Whether `err` is postgres.js's write on a closed connection's null socket. */
export function isClosedSocketWrite(err: unknown): boolean {
  return (
    err instanceof TypeError &&
    err.message === "Cannot read properties of null (reading 'write')" &&
    /at (Immediate\.)?nextWrite \([^)]*[/\\]postgres[/\\]src[/\\]connection\.js/.test(err.stack ?? '')
  );
}

/** Installs the guard once per process; `log` hears of dropped errors, at most once a minute. */
export function guardClosedSocketWrites(log: (dropped: number) => void): void {
  if (installed) return;
  installed = true;
  let dropped = 0;
  let loggedAt = -Infinity;
  process.on('uncaughtException', (err) => {
    if (!isClosedSocketWrite(err)) {
      // What Node does without a listener: print the error and exit with 1.
      console.error(err);
      process.exit(1);
    }
    dropped += 1;
    if (Date.now() - loggedAt >= LOG_EVERY_MS) {
      log(dropped);
      dropped = 0;
      loggedAt = Date.now();
    }
  });
}
