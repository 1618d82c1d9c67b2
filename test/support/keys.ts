/** Fake keys in Google's format (`AIza` + 35 characters), ending in their label so masked forms differ. */
export function fakeKey(label: string): string {
  const tail = label.replace(/[^A-Za-z0-9_-]/g, '_').slice(-30);
  return `AIzaSy${'x'.repeat(33 - tail.length)}${tail}`;
}
