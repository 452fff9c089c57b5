import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { SautiProblemDto } from './sauti-problem.dto';

const MEANINGS: Record<number, string> = {
  401: 'Missing or invalid API key (xi-api-key, or Authorization: Bearer).',
  402: "Not enough credits for this text (insufficient_credits), or the API key's budget for its period is spent (key_budget_exceeded, Retry-After at the period's end).",
  403: 'The key may not do this (e.g. a key with a budget managing keys, or deleting the last key).',
  404: 'Unknown voice, or a job that is unknown, expired or another account’s.',
  409: 'The job has not succeeded (yet): there is no audio to download.',
  413: 'The request body is larger than the configured limit.',
  415: 'The body is not application/json.',
  422: 'Validation failed; detail names the field, e.g. "Field \'text\' exceeds the maximum length of 5000 characters."',
  429: 'Too many active jobs or requests; see Retry-After.',
  503: 'No engine can serve the voice right now; see Retry-After.',
};

/** Documents the listed statuses as RFC 7807 problems (`application/problem+json`). */
export function SautiProblemResponses(...statuses: number[]) {
  return applyDecorators(
    ApiExtraModels(SautiProblemDto),
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: MEANINGS[status] ?? 'Problem details.',
        content: { 'application/problem+json': { schema: { $ref: getSchemaPath(SautiProblemDto) } } },
      }),
    ),
  );
}
