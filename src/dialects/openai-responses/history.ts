/**
 * Responses `input` items → Gemini `contents` (and system text). Consecutive items of one side
 * fold into one turn: an assistant message, its reasoning and its function calls form one model
 * turn; a run of tool outputs forms one user turn, as Gemini wants the answers to parallel calls.
 * Spec: https://platform.openai.com/docs/api-reference/responses/create#responses-create-input
 */
import type { Content, JsonObject, Part } from '../gemini/types.js';
import { contentParts, toolOutput } from './content.js';
import { TranslationError } from './errors.js';
import { signatureFromEncryptedContent, splitCallId } from './signatures.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface History {
  contents: Content[];
  /** Text of `system` and `developer` messages, in order. */
  system: string[];
}

class TurnBuilder {
  readonly contents: Content[] = [];
  /** A reasoning item's signature, waiting for the next text part of the same model turn. */
  #pendingSignature: string | undefined;

  push(role: 'user' | 'model', parts: Part[]): void {
    if (role === 'user') this.#pendingSignature = undefined;
    const kept = parts.filter((p) => p.text !== '' || p.thoughtSignature !== undefined);
    if (kept.length === 0) return;
    if (role === 'model' && this.#pendingSignature !== undefined) {
      const target = kept.find((p) => p.functionCall === undefined && p.thoughtSignature === undefined);
      if (target) {
        target.thoughtSignature = this.#pendingSignature;
        this.#pendingSignature = undefined;
      }
    }
    const last = this.contents[this.contents.length - 1];
    if (last && last.role === role) last.parts.push(...kept);
    else this.contents.push({ role, parts: kept });
  }

  carrySignature(signature: string): void {
    this.#pendingSignature = signature;
  }
}

function parseArguments(text: unknown, param: string): JsonObject {
  if (typeof text !== 'string') throw new TranslationError("'arguments' must be a JSON string", param);
  let value: unknown;
  try {
    value = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw new TranslationError("'arguments' is not valid JSON", param);
  }
  if (!isObject(value)) throw new TranslationError("'arguments' must encode a JSON object", param);
  return value as JsonObject;
}

function requireString(item: Json, field: string, param: string): string {
  const value = item[field];
  if (typeof value !== 'string' || value === '') {
    throw new TranslationError(`'${field}' must be a non-empty string`, `${param}.${field}`);
  }
  return value;
}

/** Translates `input`. Item types that carry nothing for Gemini (and unknown ones) are skipped. */
export function historyFrom(input: unknown): History {
  if (typeof input === 'string')
    return { contents: [{ role: 'user', parts: [{ text: input }] }], system: [] };
  if (!Array.isArray(input))
    throw new TranslationError("'input' must be a string or an array of items", 'input');
  const turns = new TurnBuilder();
  const system: string[] = [];
  const callNames = new Map<string, string>();

  input.forEach((item, i) => {
    const param = `input[${i}]`;
    if (!isObject(item)) throw new TranslationError('Each input item must be an object', param);
    const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
    switch (type) {
      case 'message': {
        const parts = contentParts(item.content, `${param}.content`);
        if (item.role === 'system' || item.role === 'developer') {
          for (const p of parts) if (p.text !== undefined) system.push(p.text);
        } else if (item.role === 'user') turns.push('user', parts);
        else if (item.role === 'assistant') turns.push('model', parts);
        else
          throw new TranslationError(
            `Unknown message role '${String(item.role).slice(0, 30)}'`,
            `${param}.role`,
          );
        return;
      }
      case 'function_call':
      case 'custom_tool_call': {
        const callId = requireString(item, 'call_id', param);
        const name = requireString(item, 'name', param);
        const args =
          type === 'function_call'
            ? parseArguments(item.arguments, `${param}.arguments`)
            : { input: typeof item.input === 'string' ? item.input : '' };
        const { id, signature } = splitCallId(callId);
        callNames.set(callId, name);
        const part: Part = { functionCall: { id, name, args } };
        if (signature) part.thoughtSignature = signature;
        turns.push('model', [part]);
        return;
      }
      case 'function_call_output':
      case 'custom_tool_call_output': {
        const callId = requireString(item, 'call_id', param);
        const name = callNames.get(callId);
        if (name === undefined) {
          throw new TranslationError(
            `No function_call with call_id '${callId.slice(0, 80)}' precedes this output in input`,
            `${param}.call_id`,
          );
        }
        const { text, media } = toolOutput(item.output, `${param}.output`);
        const id = splitCallId(callId).id;
        turns.push('user', [{ functionResponse: { id, name, response: { output: text } } }, ...media]);
        return;
      }
      case 'reasoning': {
        const signature = signatureFromEncryptedContent(item.encrypted_content);
        if (signature) turns.carrySignature(signature);
        return;
      }
      case 'item_reference':
        throw new TranslationError(
          'item_reference needs stored responses, and this gateway stores none: send the items themselves',
          `${param}.type`,
        );
      default:
        return;
    }
  });
  return { contents: turns.contents, system };
}
