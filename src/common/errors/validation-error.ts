import type { ValidationError } from 'class-validator';
import { TtsError } from '../tts-error';

function firstProblem(errors: ValidationError[], path: string[] = []): { field: string; message: string } | undefined {
  for (const error of errors) {
    const here = [...path, error.property];
    const message = Object.values(error.constraints ?? {})[0];
    if (message) return { field: here.join('.'), message };
    const nested = firstProblem(error.children ?? [], here);
    if (nested) return nested;
  }
  return undefined;
}

/** ValidationPipe's exceptionFactory: the first failing field as a domain error, so each face renders it. */
export function validationErrorToTtsError(errors: ValidationError[]): TtsError {
  const problem = firstProblem(errors) ?? { field: 'body', message: 'is invalid' };
  const message = problem.message.startsWith('Field ')
    ? problem.message
    : `Field '${problem.field}' ${problem.message.replace(problem.message.startsWith('property ') ? /^property \S+ / : /^\S+ /, '')}`;
  return new TtsError('invalid_request', message, { field: problem.field });
}
