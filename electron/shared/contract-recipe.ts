// Contract methods and events for GitHub repository, recipe detection and the configuration form; spread into the one table in contract.ts.
// import { z } from 'zod'; import { method } from './contract-method';

export const recipeMethods = {} as const;

export const recipeEvents = {} as const;
