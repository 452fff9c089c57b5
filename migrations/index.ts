import { Foundation1763780000000 } from './1763780000000-foundation';

/** Every migration, oldest first. Listed explicitly so ts-jest and the compiled build load the same set. */
export const MIGRATIONS = [Foundation1763780000000];
