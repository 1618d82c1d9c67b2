/**
 * Server-sent events framing helpers. Events end with a blank line; Gemini's OpenAI endpoint uses
 * `\n\n` and its native endpoint `\r\n\r\n`.
 * Spec: https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */

/** Splits text into events, keeping the separators at odd indexes so `join('')` restores it. */
export const EVENT_SEPARATOR = /(\r?\n\r?\n)/;

/** Index just past the last event boundary (`\n\n` or `\r\n\r\n`) in `text`, or 0 if none. */
export function lastBoundaryEnd(text: string): number {
  const lf = text.lastIndexOf('\n\n');
  const crlf = text.lastIndexOf('\r\n\r\n');
  return Math.max(lf === -1 ? 0 : lf + 2, crlf === -1 ? 0 : crlf + 4);
}

/** Index just past the first event boundary in `text`, or 0 if none. */
export function firstBoundaryEnd(text: string): number {
  const match = EVENT_SEPARATOR.exec(text);
  return match ? match.index + match[0].length : 0;
}

/** True when the bytes end exactly at an event boundary, so no partial event or character is pending. */
export function endsAtBoundary(bytes: Uint8Array): boolean {
  const n = bytes.length;
  return (
    n >= 2 &&
    bytes[n - 1] === 0x0a &&
    (bytes[n - 2] === 0x0a || (bytes[n - 2] === 0x0d && bytes[n - 3] === 0x0a))
  );
}

/** The data of one event: its `data:` lines' values (one leading space stripped), joined by `\n`. */
export function eventData(event: string): string {
  if (!event.includes('\n') && !event.includes('\r')) return dataValue(event) ?? '';
  const values: string[] = [];
  for (const line of event.split(/\r?\n|\r/)) {
    const v = dataValue(line);
    if (v !== undefined) values.push(v);
  }
  return values.join('\n');
}

function dataValue(line: string): string | undefined {
  if (!line.startsWith('data:')) return undefined;
  return line.charCodeAt(5) === 0x20 ? line.slice(6) : line.slice(5);
}
