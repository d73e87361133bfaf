// Contract methods and events for cloud providers (Hetzner Cloud, OVHcloud); spread into the one table in contract.ts.
// import { z } from 'zod'; import { method } from './contract-method';

export const providerMethods = {} as const;

export const providerEvents = {} as const;
