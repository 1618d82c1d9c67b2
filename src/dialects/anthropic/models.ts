/**
 * Gemini's model list and model → Anthropic's `ModelInfo` shapes.
 * https://docs.anthropic.com/en/api/models-list
 */
type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Gemini does not say when a model was released; Anthropic's clients need a date. */
const CREATED_AT = '2025-01-01T00:00:00Z';

export function anthropicModel(model: unknown): Json | null {
  if (!isObject(model) || typeof model.name !== 'string') return null;
  const id = model.name.startsWith('models/') ? model.name.slice(7) : model.name;
  const display = typeof model.displayName === 'string' ? model.displayName : id;
  return { type: 'model', id, display_name: display, created_at: CREATED_AT };
}

/** Only models that generate content: Anthropic's clients list models to chat with. */
export function anthropicModelList(list: unknown): Json {
  const models = isObject(list) && Array.isArray(list.models) ? list.models : [];
  const data = models
    .filter(
      (m) =>
        isObject(m) &&
        Array.isArray(m.supportedGenerationMethods) &&
        m.supportedGenerationMethods.includes('generateContent'),
    )
    .map(anthropicModel)
    .filter((m): m is Json => m !== null);
  return {
    data,
    has_more: false,
    first_id: (data[0]?.id as string | undefined) ?? null,
    last_id: (data[data.length - 1]?.id as string | undefined) ?? null,
  };
}
