/** Query and path parameter parsing with 400s that name the parameter. */
import { GatewayError } from '../../forward/gateway-error.js';

export function intParam(
  raw: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw)) {
    throw new GatewayError(400, `'${name}' must be a whole number`, 'invalid_parameter', { param: name });
  }
  const n = Number(raw);
  if (n < min || n > max) {
    throw new GatewayError(400, `'${name}' must be between ${min} and ${max}`, 'invalid_parameter', {
      param: name,
    });
  }
  return n;
}

export function parseId(raw: string): number {
  if (!/^\d{1,15}$/.test(raw) || Number(raw) < 1) {
    throw new GatewayError(400, `'${raw.slice(0, 40)}' is not a valid id`, 'invalid_id', { param: 'id' });
  }
  return Number(raw);
}
