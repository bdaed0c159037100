/** Shapes every admin endpoint shares: pagination, error bodies. */
import { z } from 'zod';

export const PageQuery = z.object({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const page = <T extends z.ZodType>(item: T) => z.object({ total: z.number().int(), offset: z.number().int(), limit: z.number().int(), items: z.array(item) });

export const ErrorBody = z.object({ error: z.string(), message: z.string(), fields: z.record(z.string(), z.string()).optional() });

/** The errors an admin endpoint can answer besides its own, for the OpenAPI docs. */
export const ADMIN_ERRORS = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };

export const notFound = (message: string) => ({ error: 'not_found', message });
