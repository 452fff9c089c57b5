import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CreditsService } from '../billing/credits.service';
import { TtsError } from '../common/tts-error';
import { ApiKeyEntity } from './api-key.entity';
import { KeySpend, keySpend } from './key-budget';

/** The presented key as its own account view shows it: never the secret. */
export interface PresentedKeyView {
  id: string;
  name: string;
  prefix: string;
  budget: KeySpend;
}

/** What a tenant can see of its own account, for every face that shows it (Sauti `GET /v1/account`, the Fish profile). */
@Injectable()
export class AccountService {
  constructor(
    private readonly credits: CreditsService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** The balance and the credits held by requests and jobs still running. */
  async creditsOf(tenantId: string): Promise<{ balance: number; reserved: number }> {
    return this.credits.balanceAndReserved(tenantId);
  }

  /** The key's budget and what it has spent in the current period. */
  async presentedKey(apiKeyId: string): Promise<PresentedKeyView> {
    const key = await this.dataSource.getRepository(ApiKeyEntity).findOneBy({ id: apiKeyId });
    if (!key) throw new TtsError('unauthorized', 'The API key is not valid or has been revoked.');
    return { id: key.id, name: key.name, prefix: key.prefix, budget: keySpend(key) };
  }

  /** Credits granted (every top-up) and used so far (charged, or held by work still running): an ElevenLabs subscription's character count and limit. */
  async usageOf(tenantId: string): Promise<{ granted: number; used: number; balance: number }> {
    const { granted, balance } = await this.credits.granted(tenantId);
    return { granted, used: granted - balance, balance };
  }
}
