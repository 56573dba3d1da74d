import { VIGIL_VERSION } from '@vigil/core';
import { httpRoute } from './http';

export const handler = httpRoute({ auth: false }, async () => ({
  status: 200,
  body: { status: 'ok', version: VIGIL_VERSION, time: new Date().toISOString() },
}));
