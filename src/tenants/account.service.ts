import { Injectable } from '@nestjs/common';
import { CreditsService } from '../billing/credits.service';

/** What a tenant can see of its own account, for every face that shows it (Sauti `GET /v1/account`, the Fish profile). */
@Injectable()
export class AccountService {
  constructor(private readonly credits: CreditsService) {}

  /** The balance and the credits held by requests and jobs still running. */
  async creditsOf(tenantId: string): Promise<{ balance: number; reserved: number }> {
    const summary = await this.credits.summary(tenantId);
    return { balance: summary.balance, reserved: summary.reserved };
  }

  /** Credits granted (every top-up) and used so far (charged, or held by work still running): an ElevenLabs subscription's character count and limit. */
  async usageOf(tenantId: string): Promise<{ granted: number; used: number; balance: number }> {
    const summary = await this.credits.summary(tenantId);
    return { granted: summary.granted, used: summary.granted - summary.balance, balance: summary.balance };
  }
}
