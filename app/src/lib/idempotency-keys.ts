/**
 * An Idempotency-Key for one thing a person asks the console to do (a redeliver, a bulk job): made
 * when its dialog opens and sent with every try of that action, the app's own retries and a second
 * click on the same dialog after an answer that did not come in time included, so the API does it
 * once. A new opening is a new action, with a new key. Printable ASCII, as the API takes a key.
 */
export const newIdempotencyKey = (action: string): string => `console-${action}-${crypto.randomUUID()}`;
