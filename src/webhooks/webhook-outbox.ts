import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { DataSource, EntityManager, EntitySubscriberInterface, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';
import { RootLogger } from '../logging/root-logger';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import type { FinishedJobReference, WebhookEventType } from './webhook-events';
import { enqueueDelivery, WEBHOOK_QUEUE, WebhookJobData } from './webhook-queue';

/** Where a transaction's new delivery ids wait for its commit (TypeORM's per-query-runner user data). */
const PENDING_KEY = 'webhookDeliveriesToEnqueue';

/**
 * The job side of webhooks. `recordJobEvent` writes the deliveries in the transaction that gives the
 * jobs their final state, so the event exists exactly when the state does (the outbox). Once that
 * transaction commits, the deliveries are enqueued at once (a TypeORM after-commit subscriber, in
 * this process, without waiting for it); if that enqueue is lost (a crash, Redis down or restarted
 * empty) the relay enqueues them from the rows.
 */
@Injectable()
export class WebhookOutbox implements OnModuleInit, EntitySubscriberInterface {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(WEBHOOK_QUEUE) private readonly queue: Queue<WebhookJobData>,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly logger: RootLogger,
  ) {}

  onModuleInit(): void {
    this.dataSource.subscribers.push(this);
  }

  /** Records `eventType` for each job, inside `manager`'s transaction. */
  async recordJobEvent(manager: EntityManager, eventType: WebhookEventType, jobs: FinishedJobReference[]): Promise<void> {
    const ids = await this.deliveries.insertForJobs(manager, eventType, jobs);
    if (ids.length === 0) return;
    const runner = manager.queryRunner;
    if (!runner?.isTransactionActive) {
      // Not in a transaction: the rows are committed already.
      this.enqueue(ids);
      return;
    }
    runner.data[PENDING_KEY] = [...((runner.data[PENDING_KEY] as string[] | undefined) ?? []), ...ids];
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    const ids = event.queryRunner.data?.[PENDING_KEY] as string[] | undefined;
    if (!ids || event.queryRunner.isTransactionActive) return; // a savepoint, not the commit
    delete event.queryRunner.data[PENDING_KEY];
    this.enqueue(ids);
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (!event.queryRunner.isTransactionActive) delete event.queryRunner.data?.[PENDING_KEY];
  }

  /** Not awaited by the commit: a slow or absent Redis never holds up a job's completion. */
  private enqueue(ids: string[]): void {
    void Promise.all(ids.map((id) => enqueueDelivery(this.queue, id))).catch((error: Error) =>
      this.logger.pino.warn({ deliveries: ids.length, err: error.message }, 'webhook enqueue failed; the relay will enqueue them'),
    );
  }
}
