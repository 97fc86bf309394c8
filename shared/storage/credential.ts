/**
 * The one Azure credential the service uses for Table Storage and Service Bus when they are configured by
 * endpoint / namespace rather than by connection string.
 *
 * Choice: `DefaultAzureCredential`, not `ManagedIdentityCredential`.
 * - In Azure it resolves to the managed identity. It reads `AZURE_CLIENT_ID` itself and passes it to its
 *   managed-identity leg, so the user-assigned identity the Function App runs as is the one used (the deployment
 *   sets AZURE_CLIENT_ID, see shared/config.ts). We also pass the client id explicitly so the intent is visible.
 * - On a developer machine pointed at a real storage account / namespace it falls back to the developer's
 *   `az login` / VS Code / azd identity, which `ManagedIdentityCredential` cannot do.
 * - Deployments that want the chain restricted to production credentials can set `AZURE_TOKEN_CREDENTIALS=prod`
 *   (honoured by @azure/identity ≥ 4.10); nothing in code needs to change.
 *
 * One instance per process, so that its token cache is shared by every client.
 */
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';

let shared: TokenCredential | undefined;

export function azureCredential(env: Record<string, string | undefined> = process.env): TokenCredential {
  if (!shared) {
    const clientId = env['AZURE_CLIENT_ID']?.trim();
    shared = new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {});
  }
  return shared;
}
