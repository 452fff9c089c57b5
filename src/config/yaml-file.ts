import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClassConstructor, plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { parse } from 'yaml';

export class ConfigFileError extends Error {}

function describe(errors: ValidationError[], path = ''): string[] {
  return errors.flatMap((error) => {
    const here = path ? `${path}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => `${here}: ${message}`);
    return [...own, ...describe(error.children ?? [], here)];
  });
}

/** Reads `<dir>/<file>`, maps it onto `shape` and validates it; errors name the file and each bad field. */
export function loadYamlFile<T extends object>(dir: string, file: string, shape: ClassConstructor<T>): T {
  const path = join(dir, file);
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigFileError(`Cannot read ${path}: ${(error as Error).message}`);
  }
  const value = plainToInstance(shape, raw ?? {}, { exposeDefaultValues: true });
  const problems = describe(validateSync(value, { whitelist: true, forbidNonWhitelisted: true }));
  if (problems.length > 0) {
    throw new ConfigFileError(`Invalid ${path}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  return value;
}
