/** The product version, sent as `user-agent: Vigil/<version>` and served by /health. */
export const VIGIL_VERSION = '0.1.0';
