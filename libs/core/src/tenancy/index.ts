export * from './authorize';
export * from './deps';
export * from './keys';
export * from './ports';
export * from './provisioning';
export * from './secrets';
export * from './tenant';
export * from './usage-report';
