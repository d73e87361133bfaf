// Contract methods and events for the health dashboard; spread into the one table in contract.ts.
// import { z } from 'zod'; import { method } from './contract-method';

export const healthMethods = {} as const;

export const healthEvents = {} as const;
