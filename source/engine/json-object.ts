import {InvalidJsonError} from '../errors/invalid-json-error.js';

/** A JSON value as an object with fields, or undefined (null, an array, a number...). */
export function asJsonObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * An engine's body read as one JSON object; throws InvalidJsonError naming `what` ("the
 * stats body") when it is not JSON, or not an object.
 */
export function parseJsonObject(
  body: string,
  what: string,
  endpoint?: string,
): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new InvalidJsonError(`${what} is not JSON`, {cause: error, endpoint});
  }
  const record = asJsonObject(parsed);
  if (record === undefined) {
    throw new InvalidJsonError(`${what} is not a JSON object`, {endpoint});
  }
  return record;
}
