import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';

export class AdminSignInDto {
  @ApiProperty({ description: 'The admin token (ADMIN_TOKEN) or an admin key made with the CLI.', example: 'sauti_admin_…' })
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  token!: string;
}

export class AdminIdentityDto {
  @ApiProperty({ enum: ['token', 'key'] })
  kind!: 'token' | 'key';

  @ApiProperty({ example: 'admin token' })
  name!: string;
}

export class AdminSessionDto {
  @ApiProperty({ type: AdminIdentityDto })
  signed_in_as!: AdminIdentityDto;

  @ApiProperty({ enum: ['session', 'bearer'], description: 'How this request was authenticated.' })
  via!: 'session' | 'bearer';

  @ApiPropertyOptional({ description: 'Send it back in x-csrf-token with every change made through the session cookie.' })
  csrf_token?: string;

  @ApiProperty({ example: 5, description: 'How often the dashboard refreshes its live view.' })
  refresh_seconds!: number;
}
