/**
 * On Node 20 the AWS SDK prints eight lines, at its first client, about its releases from January
 * 2027 needing Node 22: news for whoever upgrades the SDK (pinned here), not for whoever runs the
 * stack or a bench. Each entry point (`npm start`, the benches) calls this first; the stack itself
 * does not, since a library leaves its host's environment as it found it.
 */
export const quietSdkNodeNotice = (): void => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
};
