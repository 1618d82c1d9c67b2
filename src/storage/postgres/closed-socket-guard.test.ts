import { describe, expect, it } from 'vitest';
import { isClosedSocketWrite } from './closed-socket-guard.js';

function errorWith(message: string, frame: string, type: ErrorConstructor = TypeError): Error {
  const err = new type(message);
  err.stack = `${type.name}: ${message}\n    at ${frame}\n    at process.processImmediate (node:internal/timers:483:21)`;
  return err;
}

describe('isClosedSocketWrite', () => {
  const message = "Cannot read properties of null (reading 'write')";
  const frame = 'Immediate.nextWrite (file:///srv/gkp/node_modules/postgres/src/connection.js:258:22)';

  it("recognises postgres.js's write on a closed connection's null socket", () => {
    expect(isClosedSocketWrite(errorWith(message, frame))).toBe(true);
  });

  it('leaves every other error alone', () => {
    expect(isClosedSocketWrite(errorWith(message, 'nextWrite (file:///srv/app/src/writer.js:1:1)'))).toBe(
      false,
    );
    expect(isClosedSocketWrite(errorWith("Cannot read properties of null (reading 'end')", frame))).toBe(
      false,
    );
    expect(isClosedSocketWrite(errorWith(message, frame, Error))).toBe(false);
    expect(isClosedSocketWrite('a string')).toBe(false);
  });
});
