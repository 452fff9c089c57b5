import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';

class AdminErrorBodyDto {
  @ApiProperty({ example: 'unauthorized' })
  code!: string;

  @ApiProperty({ example: 'Sign in with the admin token or an admin key, or send Authorization: Bearer <admin token>.' })
  message!: string;

  @ApiPropertyOptional({ example: 'amount', description: 'The request field at fault.' })
  field?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  details?: Record<string, unknown>;

  @ApiProperty({ example: '5b0c1d1e-8f43-4a55-9f0e-2d5c9a1f7e42' })
  request_id!: string;
}

export class AdminErrorDto {
  @ApiProperty({ type: AdminErrorBodyDto })
  error!: AdminErrorBodyDto;
}

const MEANINGS: Record<number, string> = {
  400: 'A path parameter is malformed (e.g. not a UUID).',
  401: 'No valid admin token, admin key or dashboard session.',
  402: 'The chosen tenant has too few credits for this text.',
  403: 'A change made with the session cookie without its x-csrf-token, or from another origin.',
  404: 'Unknown tenant or key, or the admin API is off (details.admin_enabled = false).',
  422: 'Validation failed; `field` names the field.',
  429: 'Too many sign-in attempts; see Retry-After.',
  502: 'Every provider tried failed; details.attempts lists them.',
  503: 'A dependency (Redis, a provider) cannot be reached right now; see Retry-After.',
};

/** Documents the listed statuses with the admin API's error body `{error: {code, message, …, request_id}}`. */
export function AdminErrorResponses(...statuses: number[]) {
  return applyDecorators(
    ApiExtraModels(AdminErrorDto),
    ...statuses.map((status) =>
      ApiResponse({ status, description: MEANINGS[status] ?? 'Error.', schema: { $ref: getSchemaPath(AdminErrorDto) } }),
    ),
  );
}
