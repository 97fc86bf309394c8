/**
 * The Microsoft Graph application permissions the service needs, from the one list in permissions.json (which
 * the deployments, the grant script, the README and the local host read too).
 */
import list from './permissions.json';

export interface GraphPermission {
  /** The app role's value, e.g. "Calendars.ReadWrite". */
  readonly name: string;
  /** What the service does with it, in the words the README and the preflight use. */
  readonly purpose: string;
  /** Can be granted by Exchange RBAC for Applications, scoped to the users who need migration, instead. */
  readonly exchangeScopable: boolean;
}

export const GRAPH_PERMISSIONS: readonly GraphPermission[] = list.permissions;

export const GRAPH_PERMISSION_NAMES: readonly string[] = GRAPH_PERMISSIONS.map((p) => p.name);
