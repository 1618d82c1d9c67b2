/**
 * Responses content parts (`input_text`, `input_image`, `input_file`, `output_text`) → Gemini
 * parts. Images and files given as `data:` URLs become `inlineData`; URLs become `fileData`.
 * Spec: https://platform.openai.com/docs/api-reference/responses/create#responses-create-input
 */
import type { Part } from '../gemini/types.js';
import { TranslationError } from './errors.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const DATA_URL = /^data:([^;,]+)?(?:;[^,]*)?;base64,(.*)$/s;

function fromUrl(url: string, mimeType: string | undefined, param: string): Part {
  const data = DATA_URL.exec(url);
  if (data) {
    const type = data[1] ?? mimeType;
    if (!type) throw new TranslationError('A data URL must name its media type', param);
    return { inlineData: { mimeType: type, data: data[2] ?? '' } };
  }
  if (!/^https?:\/\//i.test(url) && !url.startsWith('gs://')) {
    throw new TranslationError('Expected a data: URL with base64 content or an http(s) URL', param);
  }
  return { fileData: mimeType ? { mimeType, fileUri: url } : { fileUri: url } };
}

const MIME_BY_EXTENSION: Record<string, string> = {
  pdf: 'application/pdf',
  txt: 'text/plain',
  md: 'text/markdown',
  csv: 'text/csv',
  html: 'text/html',
  json: 'application/json',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
};

function mimeOf(filename: unknown): string | undefined {
  if (typeof filename !== 'string') return undefined;
  const ext = filename.slice(filename.lastIndexOf('.') + 1).toLowerCase();
  return MIME_BY_EXTENSION[ext];
}

/** One content part; null for a part that carries nothing Gemini can take (e.g. an empty refusal). */
export function contentPart(part: unknown, param: string): Part | null {
  if (!isObject(part)) throw new TranslationError('Each content part must be an object', param);
  switch (part.type) {
    case 'input_text':
    case 'output_text':
    case 'text':
      if (typeof part.text !== 'string')
        throw new TranslationError("'text' must be a string", `${param}.text`);
      return { text: part.text };
    case 'refusal':
      return typeof part.refusal === 'string' && part.refusal !== '' ? { text: part.refusal } : null;
    case 'input_image':
      if (typeof part.image_url === 'string') return fromUrl(part.image_url, undefined, `${param}.image_url`);
      throw new TranslationError(
        'input_image needs image_url (a data: URL or an http(s) URL); file_id is not supported',
        `${param}.image_url`,
      );
    case 'input_file': {
      const mime = mimeOf(part.filename);
      if (typeof part.file_data === 'string') {
        const url = part.file_data.startsWith('data:')
          ? part.file_data
          : `data:${mime ?? 'application/pdf'};base64,${part.file_data}`;
        return fromUrl(url, mime, `${param}.file_data`);
      }
      if (typeof part.file_url === 'string') return fromUrl(part.file_url, mime, `${param}.file_url`);
      throw new TranslationError(
        'input_file needs file_data or file_url; file_id is not supported',
        `${param}.file_data`,
      );
    }
    default:
      throw new TranslationError(
        `Unsupported content part type '${String(part.type).slice(0, 50)}'`,
        `${param}.type`,
      );
  }
}

/** A message's content: a string, or a list of parts. */
export function contentParts(content: unknown, param: string): Part[] {
  if (typeof content === 'string') return [{ text: content }];
  if (!Array.isArray(content)) throw new TranslationError("'content' must be a string or an array", param);
  const parts: Part[] = [];
  content.forEach((part, i) => {
    const converted = contentPart(part, `${param}[${i}]`);
    if (converted) parts.push(converted);
  });
  return parts;
}

/** The text of a tool output (string, or a list of parts whose texts are joined) and its media parts. */
export function toolOutput(output: unknown, param: string): { text: string; media: Part[] } {
  if (typeof output === 'string') return { text: output, media: [] };
  if (!Array.isArray(output)) throw new TranslationError("'output' must be a string or an array", param);
  const texts: string[] = [];
  const media: Part[] = [];
  output.forEach((part, i) => {
    const converted = contentPart(part, `${param}[${i}]`);
    if (!converted) return;
    if (converted.text !== undefined) texts.push(converted.text);
    else media.push(converted);
  });
  return { text: texts.join('\n'), media };
}
