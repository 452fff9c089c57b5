import { Module } from '@nestjs/common';
import { CreditHolds } from './credit-holds';
import { CreditsService } from './credits.service';

@Module({ providers: [CreditHolds, CreditsService], exports: [CreditHolds, CreditsService] })
export class BillingModule {}
