import { Module } from '@nestjs/common';
import { PostgresResultStore } from './postgres-result.store';
import { RESULT_STORE } from './result-store';

@Module({ providers: [{ provide: RESULT_STORE, useClass: PostgresResultStore }], exports: [RESULT_STORE] })
export class StorageModule {}
