/**
 * Waits for a KPS binding task (reference 4: GET /v3/{project_id}/tasks/{task_id}) to end: its
 * `task_status` is `SUCCESS_<TYPE>` or `FAILED_<TYPE>` once it has. The daemon fails a task whose
 * runner stopped when its lease runs out, so every task ends and no client-side deadline is needed.
 */
import type { DewApi } from './api.js';

export interface KpsTask {
  task_id: string;
  server_id?: string;
  task_status: string;
  task_error_code?: string | null;
  task_error_msg?: string | null;
  [k: string]: unknown;
}

/** A task that ended FAILED_*: the task's own error code and message. */
export class KpsTaskFailedError extends Error {
  readonly code: string;
  constructor(readonly task: KpsTask) {
    super(`task ${task.task_id} ${task.task_status}: ${task.task_error_msg ?? 'no reason given'}`);
    this.name = 'KpsTaskFailedError';
    this.code = task.task_error_code ?? 'KPS.1006';
  }
}

export type Sleep = (ms: number) => Promise<void>;

const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export const isTaskDone = (status: string): boolean => status.startsWith('SUCCESS_') || status.startsWith('FAILED_');

/** Polls the task (100 ms, doubling to 1 s) until it ends; returns it either way. */
export async function waitForTask(api: DewApi, taskId: string, sleep: Sleep = realSleep): Promise<KpsTask> {
  if (typeof taskId !== 'string' || taskId === '') throw new TypeError('waitForTask: taskId must be a non-empty string');
  for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
    const task = (await api.request('GET', `/v3/{project_id}/tasks/${encodeURIComponent(taskId)}`)).body as KpsTask;
    if (isTaskDone(String(task.task_status))) return task;
    await sleep(delay);
  }
}

/** Waits for the task and throws KpsTaskFailedError when it failed. */
export async function runTask(api: DewApi, taskId: string, sleep?: Sleep): Promise<KpsTask> {
  const task = await waitForTask(api, taskId, sleep);
  if (task.task_status.startsWith('FAILED_')) throw new KpsTaskFailedError(task);
  return task;
}
