/**
 * The small slice of CloudFormation the deployment is written in: values (with the intrinsic
 * functions it uses), resources, outputs and IAM policy statements, plus helpers to build them.
 * Plain data: serverless.ts merges it into the template serverless generates.
 */

export type Intrinsic =
  | { Ref: string }
  | { 'Fn::GetAtt': [string, string] }
  | { 'Fn::Sub': string | [string, Record<string, CfnValue>] }
  | { 'Fn::Join': [string, CfnValue[]] }
  | { 'Fn::Equals': [CfnValue, CfnValue] }
  | { 'Fn::Not': [Intrinsic] }
  | { 'Fn::If': [string, CfnValue, CfnValue] }
  | { 'Fn::Select': [number, CfnValue] }
  | { 'Fn::Split': [string, CfnValue] };

export type CfnValue =
  string | number | boolean | Intrinsic | readonly CfnValue[] | { readonly [key: string]: CfnValue };

export interface CfnResource {
  Type: `AWS::${string}` | `Custom::${string}`;
  Properties: { [key: string]: CfnValue };
  /** Created only when this template condition holds. */
  Condition?: string;
  DependsOn?: string[];
  DeletionPolicy?: 'Delete' | 'Retain' | 'Snapshot';
  UpdateReplacePolicy?: 'Delete' | 'Retain' | 'Snapshot';
}

/** Resources by logical id. */
export type Resources = Record<string, CfnResource>;

export type Outputs = Record<string, { Description: string; Value: CfnValue }>;

/** Template conditions by name (Fn::Equals, Fn::Not). */
export type Conditions = Record<string, Intrinsic>;

/** `service:Action`, spelled out: the deployment grants no wildcard actions. */
export type IamAction =
  `${'dynamodb' | 'sqs' | 'scheduler' | 'iam' | 'logs' | 'lambda' | 'apigateway' | 'ssm' | 'cognito-idp' | 's3'}:${string}`;

export type PolicyCondition = { [operator: string]: { [key: string]: CfnValue } };

export type PolicyStatement = {
  Effect: 'Allow';
  Action: IamAction[];
  Resource: CfnValue[];
  Condition?: PolicyCondition;
};

const statementValue = ({ Condition, ...statement }: PolicyStatement): CfnValue => ({
  ...statement,
  ...(Condition && { Condition }),
});

/** An IAM policy document of these statements. */
export const policyDocument = (statements: PolicyStatement[]): CfnValue => ({
  Version: '2012-10-17',
  Statement: statements.map(statementValue),
});

export const ref = (logicalId: string): Intrinsic => ({ Ref: logicalId });

export const arnOf = (logicalId: string): Intrinsic => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

/** `Fn::GetAtt` of any attribute. */
export const getAtt = (logicalId: string, attribute: string): Intrinsic => ({ 'Fn::GetAtt': [logicalId, attribute] });

/** `Fn::If`: `whenTrue` where the template condition holds, else `whenFalse`. */
export const ifCondition = (condition: string, whenTrue: CfnValue, whenFalse: CfnValue): Intrinsic => ({
  'Fn::If': [condition, whenTrue, whenFalse],
});

/** `AWS::NoValue`: the property is left out (in one branch of an `Fn::If`). */
export const NO_VALUE: Intrinsic = { Ref: 'AWS::NoValue' };

/** The host of an `https://host/...` URL known only to CloudFormation (e.g. a function URL). */
export const hostOf = (url: CfnValue): Intrinsic => ({ 'Fn::Select': [2, { 'Fn::Split': ['/', url] }] });

/** `Fn::Sub`: `${AWS::Region}`-style pseudo parameters, and `${Name}` from `variables`. */
export const sub = (template: string, variables?: Record<string, CfnValue>): Intrinsic =>
  variables === undefined ? { 'Fn::Sub': template } : { 'Fn::Sub': [template, variables] };

/** An IAM role that one AWS service assumes, with its inline policy. */
export const serviceRole = (spec: {
  service: `${string}.amazonaws.com`;
  policyName: string;
  statements: PolicyStatement[];
  /** Extra conditions on the trust (e.g. aws:SourceAccount against the confused deputy). */
  trustCondition?: PolicyCondition;
}): CfnResource => ({
  Type: 'AWS::IAM::Role',
  Properties: {
    AssumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: spec.service },
          Action: 'sts:AssumeRole',
          ...(spec.trustCondition && { Condition: spec.trustCondition }),
        },
      ],
    },
    Policies: [{ PolicyName: spec.policyName, PolicyDocument: policyDocument(spec.statements) }],
  },
});

/**
 * A policy of its own attached to a role (AWS::IAM::Policy), for statements that name resources
 * made after the role's function: in the role itself they would make the function wait for them.
 */
export const attachedPolicy = (spec: {
  roleId: string;
  policyName: string;
  statements: PolicyStatement[];
}): CfnResource => ({
  Type: 'AWS::IAM::Policy',
  Properties: {
    PolicyName: spec.policyName,
    Roles: [ref(spec.roleId)],
    PolicyDocument: policyDocument(spec.statements),
  },
});
