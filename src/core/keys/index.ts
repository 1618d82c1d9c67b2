/** API key handling: masking, parsing input, and redaction. */
export { isPlausibleKey, keyHint, maskKey } from './mask.js';
export { parseKeyList, parseKeyText, type ParsedKeys } from './import.js';
export { redactSecrets } from './redact.js';
