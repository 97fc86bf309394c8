/**
 * Microsoft Graph: the client (throttling discipline, counters) and the gateways the services use.
 *
 *   const graph = createGraphClient(getConfig());
 *   const { directory, calendar, onlineMeetings, subscriptions } = createGraphGateways(graph);
 *   graph.stats(); // { requests, throttled, retried, failed }
 */
import { GraphCalendarGateway } from './calendar';
import type { GraphClient } from './client';
import { GraphDirectoryGateway } from './directory';
import { GraphGroupsGateway } from './groups';
import { GraphOnlineMeetingsGateway } from './online-meetings';
import type { GraphGateways } from './ports';
import { GraphSubscriptionsGateway } from './subscriptions';

export function createGraphGateways(graph: GraphClient): GraphGateways {
  return {
    directory: new GraphDirectoryGateway(graph),
    groups: new GraphGroupsGateway(graph),
    calendar: new GraphCalendarGateway(graph),
    onlineMeetings: new GraphOnlineMeetingsGateway(graph),
    subscriptions: new GraphSubscriptionsGateway(graph),
  };
}

export { createGraphClient, GraphClient, type GraphClientOptions, type GraphStats } from './client';
export { GraphContractError, GraphRequestError, SubscriptionGoneError } from './errors';
export * from './ports';
