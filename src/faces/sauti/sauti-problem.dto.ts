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

  @ApiPropertyOptional({ description: 'Same as the x-request-id response header.', example: '3f0c2a4e-8d4b-4a57-9a7e-2b1d2f5b9c11' })
  request_id?: string;
}
