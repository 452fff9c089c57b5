import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** RFC 7807 problem details, as every Sauti failure is written (`application/problem+json`). */
export class SautiProblemDto {
  @ApiProperty({ example: 'https://sauti.finiflowlabs.com/errors/unprocessable_content' })
  type!: string;

  @ApiProperty({ example: 'Unprocessable Content' })
  title!: string;

  @ApiProperty({ example: 422 })
  status!: number;

  @ApiProperty({ example: "Field 'text' exceeds the maximum length of 5000 characters." })
  detail!: string;

  @ApiPropertyOptional({ description: 'The request path.', example: '/v1/text-to-speech/sauti-swahili-v1' })
  instance?: string;

  @ApiPropertyOptional({ description: 'Stable machine-readable error code.', example: 'invalid_request' })
  code?: string;

  @ApiPropertyOptional({ description: 'The request field at fault, when there is one.', example: 'text' })
  field?: string;

  @ApiPropertyOptional({
    description: 'When every provider failed (503): each one tried, in order, with its error code, the time spent and its retries.',
    example: [
      { provider: 'vits', outcome: 'provider_unavailable', duration_ms: 0, retries: 0 },
      { provider: 'espeak', outcome: 'provider_timeout', duration_ms: 10002, retries: 0 },
    ],
  })
  attempts?: Array<{ provider: string; outcome: string; duration_ms: number; retries: number }>;

  @ApiPropertyOptional({ description: 'Same as the x-request-id response header.', example: '3f0c2a4e-8d4b-4a57-9a7e-2b1d2f5b9c11' })
  request_id?: string;
}
