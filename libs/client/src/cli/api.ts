/**
 * What the commands call: the SDK's message calls (`new Vigil(...).messages`), and the API's
 * shapes under the SDK's names. The CLI has no HTTP client of its own.
 */
import type { Vigil } from '../vigil';

export type Api = Vigil['messages'];
export type { CreateMessage } from '../vigil';
export type { Attempt, AttemptList, Message, MessageStatus } from '../types';
