/**
 * A whole `generateContent` response → an Anthropic `Message`.
 * https://docs.anthropic.com/en/api/messages
 */
import { promptBlockReason } from '../gemini/outcome.js';
import type { GenerateContentResponse } from '../gemini/types.js';
import { PartsToBlocks, type BlockDelta, type BlockSink, type ContentBlockStart } from './blocks.js';
import { anthropicUsage, stopReason, type AnthropicUsage, type StopReason } from './outcome.js';

type Block = Record<string, unknown>;

export interface AnthropicMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: Block[];
  stop_reason: StopReason;
  stop_sequence: null;
  usage: AnthropicUsage;
}

/** Collects block events into whole blocks. */
class Collect implements BlockSink {
  readonly blocks: Block[] = [];
  #json = '';

  start(index: number, block: ContentBlockStart): void {
    this.blocks[index] = block.type === 'thinking' ? { ...block, signature: '' } : { ...block };
    this.#json = '';
  }

  delta(index: number, delta: BlockDelta): void {
    const block = this.blocks[index] as Block;
    if (delta.type === 'text_delta') block.text = `${block.text as string}${delta.text}`;
    else if (delta.type === 'thinking_delta') block.thinking = `${block.thinking as string}${delta.thinking}`;
    else if (delta.type === 'signature_delta') block.signature = delta.signature;
    else this.#json += delta.partial_json;
  }

  stop(index: number): void {
    const block = this.blocks[index] as Block;
    if (block.type === 'tool_use') block.input = JSON.parse(this.#json) as unknown;
  }
}

export function messageId(responseId: string | undefined): string {
  return `msg_${responseId ?? Date.now().toString(36)}`;
}

/** `model`: the name the client asked for, echoed as Anthropic does. */
export function geminiToMessage(response: GenerateContentResponse, model: string): AnthropicMessage {
  const collect = new Collect();
  const blocks = new PartsToBlocks(collect, response.responseId ?? '');
  const candidate = response.candidates?.[0];
  for (const part of candidate?.content?.parts ?? []) blocks.push(part);
  blocks.close();
  const blocked = !candidate && promptBlockReason(response) !== null;
  return {
    id: messageId(response.responseId),
    type: 'message',
    role: 'assistant',
    model,
    content: collect.blocks,
    stop_reason: stopReason(candidate?.finishReason, blocks.sawCall, blocked),
    stop_sequence: null,
    usage: anthropicUsage(response.usageMetadata),
  };
}
