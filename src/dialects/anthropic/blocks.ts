/**
 * Gemini parts → Anthropic content blocks, as the start/delta/stop events of Anthropic's stream.
 * One state machine for streamed and whole responses: thought parts become a `thinking` block,
 * text a `text` block, each function call a `tool_use` block, preceded by a `thinking` block
 * carrying its thought signature (see `signature.ts`).
 * https://docs.anthropic.com/en/docs/build-with-claude/streaming
 */
import type { Part } from '../gemini/types.js';
import { carrySignature } from './signature.js';

export type ContentBlockStart =
  | { type: 'text'; text: '' }
  | { type: 'thinking'; thinking: '' }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, never> };

export type BlockDelta =
  | { type: 'text_delta'; text: string }
  | { type: 'thinking_delta'; thinking: string }
  | { type: 'signature_delta'; signature: string }
  | { type: 'input_json_delta'; partial_json: string };

export interface BlockSink {
  start(index: number, block: ContentBlockStart): void;
  delta(index: number, delta: BlockDelta): void;
  stop(index: number): void;
}

const EMPTY_INPUT: Record<string, never> = {};

export class PartsToBlocks {
  readonly #sink: BlockSink;
  readonly #idBase: string;
  #index = -1;
  #open: 'text' | 'thinking' | null = null;
  /** The signature a thought part carried, sent when its thinking block closes. */
  #thoughtSignature: string | null = null;
  #calls = 0;

  /** `idBase`: makes tool_use ids unique, e.g. the upstream response id. */
  constructor(sink: BlockSink, idBase: string) {
    this.#sink = sink;
    this.#idBase = idBase.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 40) || 'gemini';
  }

  /** Whether a function call was seen: the turn ends in `tool_use`. */
  get sawCall(): boolean {
    return this.#calls > 0;
  }

  push(part: Part): void {
    const call = part.functionCall;
    if (call) {
      const signature = part.thoughtSignature;
      if (signature) {
        if (this.#open !== 'thinking') this.#begin('thinking');
        this.#thoughtSignature = signature;
      }
      this.close();
      this.#calls += 1;
      const id = `toolu_${call.id ? call.id.replace(/[^A-Za-z0-9_-]/g, '') : `${this.#idBase}_${this.#calls}`}`;
      const index = ++this.#index;
      this.#sink.start(index, { type: 'tool_use', id, name: call.name, input: EMPTY_INPUT });
      this.#sink.delta(index, { type: 'input_json_delta', partial_json: JSON.stringify(call.args ?? {}) });
      this.#sink.stop(index);
      return;
    }
    if (typeof part.text !== 'string') return;
    if (part.thought === true) {
      if (this.#open !== 'thinking') this.#begin('thinking');
      if (part.text !== '') this.#sink.delta(this.#index, { type: 'thinking_delta', thinking: part.text });
      if (part.thoughtSignature) this.#thoughtSignature = part.thoughtSignature;
      return;
    }
    if (part.text === '') return;
    if (this.#open !== 'text') this.#begin('text');
    this.#sink.delta(this.#index, { type: 'text_delta', text: part.text });
  }

  /** Closes the open block, if any. */
  close(): void {
    if (this.#open === null) return;
    if (this.#open === 'thinking' && this.#thoughtSignature !== null) {
      this.#sink.delta(this.#index, {
        type: 'signature_delta',
        signature: carrySignature(this.#thoughtSignature),
      });
      this.#thoughtSignature = null;
    }
    this.#sink.stop(this.#index);
    this.#open = null;
  }

  #begin(type: 'text' | 'thinking'): void {
    this.close();
    this.#open = type;
    const index = ++this.#index;
    this.#sink.start(index, type === 'text' ? { type, text: '' } : { type, thinking: '' });
  }
}
