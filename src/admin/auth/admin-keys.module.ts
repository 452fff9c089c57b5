import { Module } from '@nestjs/common';
import { AdminKeysService } from './admin-keys.service';

/** In every process's core: the CLI makes admin keys, the api checks them. */
@Module({ providers: [AdminKeysService], exports: [AdminKeysService] })
export class AdminKeysModule {}
