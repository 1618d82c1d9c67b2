/**
 * `@google/genai` steps the resource tests share on Node and on Workers: asking about an uploaded
 * file, asking with a cache, and the HTTP status of a call that may fail.
 */
import { ApiError, type File, type GoogleGenAI } from '@google/genai';
import { expect } from 'vitest';

export const MODEL = 'gemini-2.5-flash';

/** The parts of a user turn that names `files` by URI. */
export function fileContents(files: File[], text?: string) {
  const parts = files.map((f) => ({ fileData: { fileUri: f.uri!, mimeType: f.mimeType! } }));
  return [{ role: 'user', parts: text === undefined ? parts : [{ text }, ...parts] }];
}

/** generateContent and generateContentStream `times` times each on `file`; every answer has text. */
export async function askAboutFile(ai: GoogleGenAI, file: File, times = 10): Promise<void> {
  const contents = fileContents([file], 'summarise');
  for (let i = 0; i < times; i++) {
    expect((await ai.models.generateContent({ model: MODEL, contents })).text).toBeTruthy();
    let text = '';
    for await (const chunk of await ai.models.generateContentStream({ model: MODEL, contents })) {
      text += chunk.text;
    }
    expect(text).toBeTruthy();
  }
}

/** Creates a cache of a short context for `ttl`, then generateContent with it `times` times. */
export async function askWithCache(ai: GoogleGenAI, ttl: string, times = 10) {
  const cache = await ai.caches.create({
    model: MODEL,
    config: { contents: [{ role: 'user', parts: [{ text: 'a long shared context' }] }], ttl },
  });
  for (let i = 0; i < times; i++) {
    const res = await ai.models.generateContent({
      model: MODEL,
      contents: 'q',
      config: { cachedContent: cache.name! },
    });
    expect(res.text).toBeTruthy();
  }
  return cache;
}

/** 200 when `work` succeeds, else the status of the `ApiError` it fails with. */
export async function apiStatus(work: Promise<unknown>): Promise<number> {
  try {
    await work;
    return 200;
  } catch (err) {
    if (err instanceof ApiError) return err.status;
    throw err;
  }
}
