/**
 * The values a message's status and origin take, in the order they are shown.
 *
 * One list each for the server (message.ts, message-filter.ts: what is stored, filtered and
 * validated) and the published client's CLI (libs/client filter.ts: what `--status` and `--origin`
 * take and its help names), which imports nothing else of the server: its build bundles this file
 * into dist/cli.js. So it is data, and imports nothing (eslint.config.mjs: the `shared` layer).
 */
export const MESSAGE_STATUSES = [
  'scheduled',
  'queued',
  'delivering',
  'delivered',
  'retrying',
  'failed',
  'cancelled',
] as const;

/**
 * Who made a message: the tenant (`message`, through the API), or Vigil, as an event delivery
 * (`callback`: a message's callback; `notification`: one for a notification endpoint).
 */
export const MESSAGE_ORIGIN_KINDS = ['message', 'callback', 'notification'] as const;
