import { fromEnv } from "@aws-sdk/credential-provider-env";

/**
 * Bundles alias "@aws-sdk/credential-provider-node" to this module (components/shared/bundle.ts).
 * Lambda always hands a function its role's credentials in environment variables, so the SDK's
 * full provider chain (INI files, SSO, process, IMDS, web identity) is dead weight in a handler
 * bundle: about 100 KB of code that can never run.
 */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init);
