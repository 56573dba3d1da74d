/**
 * Every public route, in one table: the local gateway serves it and infra/functions.ts deploys it,
 * and a contract test checks it against openapi.yaml, so no route exists in only one place.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { SESSION_TENANT_ROUTE } from './session-tenant-route';

/** The API functions' timeout (Lambda), well inside API Gateway's 29 s integration limit. */
export const API_TIMEOUT_S = 10;

export type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface ApiRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** API Gateway resource path, e.g. /v1/messages/{messageId}. */
  path: string;
  /** The Lambda function name in serverless.ts. */
  functionName: string;
  /** Handler module, relative to the repository root (serverless.ts: `<file>.handler`). */
  file: string;
  auth: boolean;
  /**
   * Called by the web console's server for a signed-in user, who may have no tenant yet: the
   * authorizer passes the user (not a tenant), and no usage plan applies (there is no tenant key).
   */
  sessionUser?: true;
  load: () => Promise<{ handler: ApiHandler }>;
}

export const API_ROUTES: readonly ApiRoute[] = [
  {
    method: 'GET',
    path: '/health',
    functionName: 'health',
    file: 'functions/api/health',
    auth: false,
    load: () => import('./health'),
  },
  {
    method: 'POST',
    path: '/v1/messages',
    functionName: 'createMessage',
    file: 'functions/api/create-message',
    auth: true,
    load: () => import('./create-message'),
  },
  {
    method: 'POST',
    path: '/v1/messages/batch',
    functionName: 'createMessageBatch',
    file: 'functions/api/create-message-batch',
    auth: true,
    load: () => import('./create-message-batch'),
  },
  {
    method: 'GET',
    path: '/v1/messages',
    functionName: 'listMessages',
    file: 'functions/api/list-messages',
    auth: true,
    load: () => import('./list-messages'),
  },
  {
    method: 'POST',
    path: '/v1/messages/cancel',
    functionName: 'cancelMessages',
    file: 'functions/api/cancel-messages',
    auth: true,
    load: () => import('./cancel-messages'),
  },
  {
    method: 'POST',
    path: '/v1/messages/redeliver',
    functionName: 'redeliverMessages',
    file: 'functions/api/redeliver-messages',
    auth: true,
    load: () => import('./redeliver-messages'),
  },
  {
    method: 'GET',
    path: '/v1/jobs',
    functionName: 'listJobs',
    file: 'functions/api/list-jobs',
    auth: true,
    load: () => import('./list-jobs'),
  },
  {
    method: 'GET',
    path: '/v1/jobs/{jobId}',
    functionName: 'getJob',
    file: 'functions/api/get-job',
    auth: true,
    load: () => import('./get-job'),
  },
  {
    method: 'GET',
    path: '/v1/messages/{messageId}',
    functionName: 'getMessage',
    file: 'functions/api/get-message',
    auth: true,
    load: () => import('./get-message'),
  },
  {
    method: 'PATCH',
    path: '/v1/messages/{messageId}',
    functionName: 'updateMessage',
    file: 'functions/api/update-message',
    auth: true,
    load: () => import('./update-message'),
  },
  {
    method: 'DELETE',
    path: '/v1/messages/{messageId}',
    functionName: 'cancelMessage',
    file: 'functions/api/cancel-message',
    auth: true,
    load: () => import('./cancel-message'),
  },
  {
    method: 'GET',
    path: '/v1/messages/{messageId}/attempts',
    functionName: 'listAttempts',
    file: 'functions/api/list-attempts',
    auth: true,
    load: () => import('./list-attempts'),
  },
  {
    method: 'GET',
    path: '/v1/messages/{messageId}/body',
    functionName: 'getMessageBody',
    file: 'functions/api/get-message-body',
    auth: true,
    load: () => import('./get-message-body'),
  },
  {
    method: 'POST',
    path: '/v1/messages/{messageId}/redeliver',
    functionName: 'redeliverMessage',
    file: 'functions/api/redeliver-message',
    auth: true,
    load: () => import('./redeliver-message'),
  },
  {
    method: 'POST',
    path: '/v1/messages/{messageId}/retry',
    functionName: 'retryMessage',
    file: 'functions/api/retry-message',
    auth: true,
    load: () => import('./retry-message'),
  },
  {
    method: 'GET',
    path: '/v1/signing-secret',
    functionName: 'getSigningSecret',
    file: 'functions/api/get-signing-secret',
    auth: true,
    load: () => import('./get-signing-secret'),
  },
  {
    method: 'POST',
    path: '/v1/signing-secret/rotate',
    functionName: 'rotateSigningSecret',
    file: 'functions/api/rotate-signing-secret',
    auth: true,
    load: () => import('./rotate-signing-secret'),
  },
  {
    method: 'GET',
    path: '/v1/keys',
    functionName: 'listApiKeys',
    file: 'functions/api/list-api-keys',
    auth: true,
    load: () => import('./list-api-keys'),
  },
  {
    method: 'POST',
    path: '/v1/keys',
    functionName: 'createApiKey',
    file: 'functions/api/create-api-key',
    auth: true,
    load: () => import('./create-api-key'),
  },
  {
    method: 'DELETE',
    path: '/v1/keys/{keyId}',
    functionName: 'revokeApiKey',
    file: 'functions/api/revoke-api-key',
    auth: true,
    load: () => import('./revoke-api-key'),
  },
  {
    method: 'GET',
    path: '/v1/notification-endpoints',
    functionName: 'listNotificationEndpoints',
    file: 'functions/api/list-notification-endpoints',
    auth: true,
    load: () => import('./list-notification-endpoints'),
  },
  {
    method: 'POST',
    path: '/v1/notification-endpoints',
    functionName: 'createNotificationEndpoint',
    file: 'functions/api/create-notification-endpoint',
    auth: true,
    load: () => import('./create-notification-endpoint'),
  },
  {
    method: 'DELETE',
    path: '/v1/notification-endpoints/{endpointId}',
    functionName: 'deleteNotificationEndpoint',
    file: 'functions/api/delete-notification-endpoint',
    auth: true,
    load: () => import('./delete-notification-endpoint'),
  },
  {
    method: 'POST',
    path: '/v1/notification-endpoints/{endpointId}/test',
    functionName: 'testNotificationEndpoint',
    file: 'functions/api/test-notification-endpoint',
    auth: true,
    load: () => import('./test-notification-endpoint'),
  },
  {
    method: 'GET',
    path: '/v1/notification-endpoints/{endpointId}/deliveries',
    functionName: 'listNotificationEndpointDeliveries',
    file: 'functions/api/list-notification-endpoint-deliveries',
    auth: true,
    load: () => import('./list-notification-endpoint-deliveries'),
  },
  {
    method: 'GET',
    path: '/v1/usage',
    functionName: 'getUsage',
    file: 'functions/api/get-usage',
    auth: true,
    load: () => import('./get-usage'),
  },
  {
    ...SESSION_TENANT_ROUTE,
    functionName: 'claimSessionTenant',
    file: 'functions/api/claim-session-tenant',
    auth: true,
    sessionUser: true,
    load: () => import('./claim-session-tenant'),
  },
  {
    method: 'POST',
    path: '/v1/session/revoke',
    functionName: 'revokeSession',
    file: 'functions/api/revoke-session',
    auth: true,
    load: () => import('./revoke-session'),
  },
  {
    method: 'POST',
    path: '/canary-receiver',
    functionName: 'canaryReceiver',
    file: 'functions/api/canary-receiver',
    auth: false,
    load: () => import('./canary-receiver'),
  },
];
