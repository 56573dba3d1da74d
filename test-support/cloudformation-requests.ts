/**
 * CloudFormation's side of a custom resource, for tests of a provider function: the requests it
 * sends (Create, Update, Delete), the pre-signed response URL the provider PUTs its answer to, and
 * the function environment a provider is deployed with (infra/functions.ts functionEnvironment),
 * its table on a local endpoint.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { configureWiring } from '@vigil/aws/wiring/base';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';

export interface CustomResourceAnswer {
  Status: 'SUCCESS' | 'FAILED';
  Reason?: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
}

/** A table call as IAM authorises it: `dynamodb:<Action>` on a table. */
export interface TableCall {
  action: string;
  table: string;
}

/** The pre-signed URL answers are PUT to, served here (the first `refuse` answers get a 503). */
export const startResponseUrl = async (refuse = 0) => {
  const answers: CustomResourceAnswer[] = [];
  let refused = 0;
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      if (refused < refuse || request.method !== 'PUT') {
        refused += 1;
        response.writeHead(503).end();
        return;
      }
      answers.push(JSON.parse(body) as CustomResourceAnswer);
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/answer?X-Amz-Signature=x`;
  return { url, answers, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
};

/**
 * Wires the process as a deployed function is (its table on `dynamoEndpoint`), each table call
 * handed to `seen`.
 */
export const wireDeployedFunction = (table: string, dynamoEndpoint: string, seen?: (call: TableCall) => void) =>
  configureWiring(
    {
      VIGIL_TABLE: table,
      VIGIL_DYNAMODB_ENDPOINT: dynamoEndpoint,
      VIGIL_DELIVERY_QUEUE_URL: 'http://127.0.0.1:1/queue/delivery',
      VIGIL_PROMOTE_ARN: 'arn:aws:lambda:us-east-1:000000000000:function:vigil-ci-promote',
      VIGIL_SCHEDULER_ROLE_ARN: 'arn:aws:iam::000000000000:role/vigil-ci-scheduler',
      VIGIL_LOG_LEVEL: 'silent',
    },
    (client) =>
      seen &&
      (client as unknown as DynamoDBClient).middlewareStack.add(
        (next, context) => (args) => {
          const input = args.input as { TableName?: string };
          seen({
            action: `dynamodb:${(context.commandName ?? '').replace(/Command$/, '')}`,
            table: input.TableName ?? '',
          });
          return next(args);
        },
        { step: 'initialize' },
      ),
  );

/** A request as CloudFormation sends it for the resource `TableLayoutCheck`. */
export const customResourceRequest = (
  type: 'Create' | 'Update' | 'Delete',
  responseUrl: string,
  properties: Record<string, string>,
): CloudFormationCustomResourceEvent => {
  const common = {
    ServiceToken: 'arn:aws:lambda:us-east-1:000000000000:function:vigil-ci-tableLayoutCheck',
    ResponseURL: responseUrl,
    StackId: 'arn:aws:cloudformation:us-east-1:000000000000:stack/vigil-ci/1',
    RequestId: `request-${type}`,
    LogicalResourceId: 'TableLayoutCheck',
    ResourceType: 'Custom::TableLayout',
    ResourceProperties: { ServiceToken: 'token', ...properties },
  };
  if (type === 'Create') return { ...common, RequestType: type };
  const PhysicalResourceId = 'TableLayoutCheck';
  if (type === 'Delete') return { ...common, RequestType: type, PhysicalResourceId };
  return { ...common, RequestType: type, PhysicalResourceId, OldResourceProperties: common.ResourceProperties };
};

/** A Lambda context with `remainingMs` left. */
export const lambdaContextWith = (remainingMs = 30_000) => ({ getRemainingTimeInMillis: () => remainingMs }) as Context;
