/**
 * Sharded grading for batch engines (a Kubernetes Indexed Job, a CI matrix, a Slurm array):
 * every shard is given the same submission list and keeps the submissions whose name hashes to
 * it, so shards agree on the split without talking to each other, and a submission stays in
 * its shard when others are added or removed.
 */
import { createHash } from "node:crypto";

export interface Shard {
  /** 1-based, as in Jest's and Playwright's --shard. */
  index: number;
  count: number;
}

export class ShardError extends Error {}

/** Parse "K/N" (1 <= K <= N). */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new ShardError(`expected K/N with 1 <= K <= N (for example 2/8), got ${JSON.stringify(text)}`);
  }
  return { index, count };
}

export function formatShard(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

/** The 1-based shard a submission name belongs to among `count` shards. */
export function shardOf(name: string, count: number): number {
  const digest = createHash("sha256").update(name, "utf8").digest();
  return (digest.readUInt32BE(0) % count) + 1;
}

/** The submissions of one shard, in their original order. */
export function selectShard<T extends { name: string }>(submissions: T[], shard: Shard): T[] {
  return submissions.filter((s) => shardOf(s.name, shard.count) === shard.index);
}
