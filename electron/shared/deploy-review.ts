import { z } from 'zod';
import { BUILD_LANGUAGES, SERVICE_KINDS } from './recipe';

// What the plan shows before anything changes (issue 11): internal ports open to the internet and the user's
// choice for them, what is built on the server and what that costs on the chosen server, the images pulled, what
// the daily backup covers, and how health is checked. Built by the deploy service from the profile.

export const buildCostSchema = z.object({
  minutes: z.tuple([z.number(), z.number()]),
  peakMb: z.number(),
  memoryMb: z.number(),
  vcpu: z.number(),
  /** From the server's own check, or the phase's figures when the server was not checked yet. */
  measured: z.boolean(),
  fits: z.boolean(),
});
export type BuildCost = z.infer<typeof buildCostSchema>;

export const planReviewSchema = z.object({
  exposure: z.array(z.object({ service: z.string(), kind: z.enum(SERVICE_KINDS), published: z.string().nullable(), target: z.number(), protocol: z.string(), file: z.string() })),
  /** 'yes': bound to 127.0.0.1 by the app's copies; 'no': kept open (the user chose); null: not decided yet. */
  bindLocal: z.enum(['yes', 'no']).nullable(),
  build: z.array(z.object({ service: z.string(), language: z.enum(BUILD_LANGUAGES) })),
  buildCost: buildCostSchema.nullable(),
  /** A CI workflow of the repository that publishes images. */
  imagesCi: z.string().nullable(),
  pull: z.object({ count: z.number(), moving: z.array(z.string()), registry: z.string().nullable() }),
  backup: z.object({ covered: z.array(z.string()), notCovered: z.array(z.object({ source: z.string(), reason: z.string() })) }),
  health: z.object({ via: z.enum(['host', 'proxy', 'container']), url: z.string(), host: z.string().nullable() }),
});
export type PlanReview = z.infer<typeof planReviewSchema>;

type Language = (typeof BUILD_LANGUAGES)[number];

/**
 * Peak memory and time of a release build on 2 vCPU, by language (rough, from builds of projects of KoproGo's
 * size: a Rust release build with sqlx and actix links in ~3.5 GB; an Astro/Vite frontend needs ~1.5 GB).
 */
export const BUILD_PROFILE: Record<Language, { peakMb: number; minutes: [number, number] }> = {
  rust: { peakMb: 3500, minutes: [15, 30] },
  node: { peakMb: 1500, minutes: [3, 8] },
  go: { peakMb: 1200, minutes: [2, 6] },
  python: { peakMb: 800, minutes: [2, 5] },
  other: { peakMb: 1000, minutes: [3, 10] },
};

/** Memory the system and the running containers keep while a build runs. */
const HEADROOM_MB = 400;

/** What building `languages` costs on a server with `memoryMb` and `vcpu`: builds run one after the other. */
export function buildCost(languages: readonly Language[], server: { memoryMb: number; vcpu: number; measured: boolean }): BuildCost | null {
  if (languages.length === 0) return null;
  const scale = 2 / Math.max(1, server.vcpu);
  const sum = (i: 0 | 1) => Math.ceil(languages.reduce((t, l) => t + BUILD_PROFILE[l].minutes[i], 0) * Math.max(0.5, scale));
  const peakMb = Math.max(...languages.map((l) => BUILD_PROFILE[l].peakMb));
  return { minutes: [sum(0), sum(1)], peakMb, memoryMb: server.memoryMb, vcpu: server.vcpu, measured: server.measured, fits: peakMb + HEADROOM_MB <= server.memoryMb };
}

/** A running copy of the application under another Compose project (started by the repository's own scripts). */
export const adoptionSchema = z.object({
  project: z.string(),
  containers: z.array(z.string()),
  /** Where its compose command ran (the label Compose sets), and whether a `.env` is there to keep its values. */
  workingDir: z.string().nullable(),
  envFound: z.boolean(),
  volumes: z.array(z.string()),
});
export type Adoption = z.infer<typeof adoptionSchema>;
