import { z } from 'zod';

/*
 * What the nodes of one cluster say to each other over the node control API: the requests
 * (validated where they arrive) and the answers.
 */

/** What a node says about itself. */
export interface NodeReport {
  readonly name: string;
  readonly role: 'primary' | 'standby' | 'fenced' | 'stopped';
  /** The timeline its PostgreSQL is on (for a stopped one: when it stopped). */
  readonly timeline?: number;
  readonly systemIdentifier?: string;
  /** Its PostgreSQL's port, for a peer to replicate from it. */
  readonly postgresPort?: number;
  /** Its latest WAL position: written (primary), replayed (standby), or the last checkpoint (stopped). */
  readonly lsn?: string;
}

/** A request to stand down: the node that takes over, and where its PostgreSQL is. */
export const fenceRequestSchema = z
  .object({
    by: z.string().min(1).max(63),
    postgresPort: z.number().int().min(1).max(65535),
    controlPort: z.number().int().min(1).max(65535),
    reason: z.string().min(1).max(500),
  })
  .strict();
export type FenceRequest = z.infer<typeof fenceRequestSchema> & {
  /** The address the request came from: the new primary as this node reaches it. */
  readonly host: string;
};

/** The fenced node's answer: its PostgreSQL is stopped, and where its WAL ended. */
export interface FenceReport {
  readonly name: string;
  readonly fenced: true;
  /** What its pg_control says: `shut down` after a clean stop, whose checkpoint ends its WAL; anything else and that end is not known. */
  readonly state: string;
  readonly timeline?: number;
  readonly checkpointLsn?: string;
}

export const modeRequestSchema = z
  .object({
    mode: z.enum(['async', 'configured']),
    reason: z.string().trim().min(3, 'say why, for the audit log').max(500),
    actor: z.string().min(1).max(100),
  })
  .strict();
export type ModeRequest = z.infer<typeof modeRequestSchema>;

/** A request to give a fenced node its role back: the node that fenced it, by name. */
export const resumeRequestSchema = z.object({ by: z.string().min(1).max(63) }).strict();

/** TLS 1.3 only, on both sides of the control API. */
export const controlCiphers = { minVersion: 'TLSv1.3' as const };
