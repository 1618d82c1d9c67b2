/** A client mistake found while translating a request; the route answers it in OpenAI's error shape. */
export class TranslationError extends Error {
  constructor(
    message: string,
    readonly param: string | null,
    readonly code = 'invalid_request_error',
    readonly status = 400,
  ) {
    super(message);
  }
}
