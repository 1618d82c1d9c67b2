/** Strips a leading `models/`, so `models/gemini-2.5-flash` and `gemini-2.5-flash` name one model. */
export function normalizeModel(model: string): string {
  return model.startsWith('models/') ? model.slice(7) : model;
}
