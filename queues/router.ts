/** Router worker: picks the route a complaint goes to now (routes change live) and hands it to delivery. */
import type { Job } from 'bullmq';
import { Complaint } from '../src/complaint.js';
import type { Config } from '../src/config.js';
import { activeRoute } from '../src/keyword.js';
import type { RouteRegistry } from '../src/route-registry.js';
import type { StatusStore } from '../src/status.js';
import { deliveryJobOptions, type Queues } from './topology.js';

export function routerProcessor(deps: { queues: Queues; routes: RouteRegistry; status: StatusStore; config: Config }) {
  return async (job: Job<Complaint>) => {
    const complaint = Complaint.parse(job.data);
    const route = activeRoute(complaint.region.code, deps.routes.index());
    await deps.queues.delivery.add('deliver', { complaint, routeCode: route.code }, { ...deliveryJobOptions(deps.config), jobId: `d-${complaint.id}` });
    await deps.status.advance(complaint, 'routed', { routeCode: route.code, routeName: route.name, routedAt: new Date().toISOString() });
    return { routeCode: route.code };
  };
}
