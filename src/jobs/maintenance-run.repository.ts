import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** The one periodic task today: expiry sweep, stuck-job check, abandoned credit holds, outbox relay. */
export const MAINTENANCE_TASK = 'job-maintenance';

export interface MaintenanceRun {
  startedAt: Date;
  startedBy: string;
  /** Seconds since it started, by the database's clock (the one that wrote `startedAt`). */
  ageSeconds: number;
}

/** The table `maintenance_runs` (migration MaintenanceRuns): when each periodic task last started, and where. */
@Injectable()
export class MaintenanceRunRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Claims this round of `task` for `worker`: true when the task last started at least `spacingMs`
   * ago (or never). One conditional upsert decides, under the row's lock, so of several workers
   * asking at once exactly one wins.
   */
  async claim(task: string, worker: string, spacingMs: number): Promise<boolean> {
    const rows = await this.dataSource.query(
      `INSERT INTO maintenance_runs (task, started_at, started_by) VALUES ($1, now(), $2)
       ON CONFLICT (task) DO UPDATE SET started_at = now(), started_by = EXCLUDED.started_by
        WHERE maintenance_runs.started_at <= now() - make_interval(secs => $3 / 1000.0)
       RETURNING task`,
      [task, worker, spacingMs],
    );
    return rows.length > 0;
  }

  async lastRun(task: string): Promise<MaintenanceRun | undefined> {
    const rows = await this.dataSource.query(
      `SELECT started_at, started_by, EXTRACT(EPOCH FROM now() - started_at) AS age FROM maintenance_runs WHERE task = $1`,
      [task],
    );
    return rows[0] ? { startedAt: rows[0].started_at, startedBy: rows[0].started_by, ageSeconds: Number(rows[0].age) } : undefined;
  }
}
