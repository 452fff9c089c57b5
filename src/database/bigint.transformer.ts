import type { ValueTransformer } from 'typeorm';

/** Postgres bigint arrives as a string; credits stay far below 2^53, so a number is exact. */
export const bigintAsNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};
