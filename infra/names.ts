/**
 * Stage-scoped names. The stage only ever appears as serverless's `${sls:stage}` (from
 * `--stage`, default dev), so two stages in one account never collide and no stage is
 * hard-coded anywhere.
 */
import type { Intrinsic } from './cloudformation';
import { sub } from './cloudformation';

export const SERVICE = 'vigil';

/** Resolved by serverless before CloudFormation sees the template. */
export const STAGE = `\${sls:stage}`;

/** `vigil-<stage>-<suffix>`: queues, the table, the schedule group. */
export const stageName = (suffix: string): string => `${SERVICE}-${STAGE}-${suffix}`;

/** The name serverless gives a function: `vigil-<stage>-<function key>`. */
export const lambdaName = (functionKey: string): string => stageName(functionKey);

/**
 * A function's ARN built from its name rather than read from the function resource, so a
 * resource the function itself depends on (its environment, a role) can point at it without a
 * dependency cycle.
 */
export const lambdaArn = (functionKey: string): Intrinsic =>
  sub(`arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${lambdaName(functionKey)}`);

/** The log group serverless creates for a function (with the provider's retention). */
export const logGroupArn = (functionKey: string): Intrinsic =>
  sub(
    `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${lambdaName(functionKey)}:*`,
  );

/** `createMessage` → `CreateMessage`: the stem of a function's logical ids. */
export const pascalCase = (key: string): string => key.charAt(0).toUpperCase() + key.slice(1);

/** The logical id serverless gives a function: `deliver` → `DeliverLambdaFunction`. */
export const functionLogicalId = (functionKey: string): string => `${pascalCase(functionKey)}LambdaFunction`;

/**
 * The SSM SecureString parameter holding the web app's session secret (next-auth's secret, with
 * which the authorizer verifies session tokens). The operator creates it once per stage
 * (`aws ssm put-parameter --type SecureString`, README: Deploy); CloudFormation cannot create a
 * SecureString, and the template, function configuration and outputs carry only this name.
 */
export const SESSION_SECRET_PARAMETER = `/${SERVICE}/${STAGE}/session-secret`;

/** The session secret parameter's ARN (its name starts with `/`, so none is added after `parameter`). */
export const sessionSecretParameterArn: Intrinsic = sub(
  `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${SESSION_SECRET_PARAMETER}`,
);
