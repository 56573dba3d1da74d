/**
 * The web app's session secret, for the authorizer alone (the only function whose bundle carries
 * the SSM client): from the SSM SecureString parameter named by VIGIL_SESSION_SECRET_PARAMETER on
 * AWS, or the value the local stack passes as NEXTAUTH_SECRET.
 */
import { SSMClient } from '@aws-sdk/client-ssm';
import type { SecretSource } from '../secret-source';
import { envSecretSource, SsmSecretSource } from '../secret-source';
import { systemClock } from '../system-clock';
import { part } from './base';

export const sessionSecretSource = (): SecretSource =>
  part('session-secret', (b) => {
    const name = b.config.sessionSecretParameter;
    if (!name) return envSecretSource(b.config.sessionSecret);
    const ssm = new SSMClient(b.clientOptions(b.config.endpoints.ssm));
    b.onClose(() => ssm.destroy());
    return new SsmSecretSource(ssm, name, systemClock);
  });
