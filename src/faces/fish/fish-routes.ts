/** Everything under this prefix belongs to the Fish face (its envelope, its 404s). */
export const FISH_PATH_PREFIX = '/api/open';

/** Controller paths, relative to the prefix. */
export const FISH_TASKS_PATH = 'speech/tts/jobs';
export const FISH_TASK_PATH = `${FISH_TASKS_PATH}/:taskId`;
export const FISH_TASK_AUDIO_PATH = `${FISH_TASK_PATH}/audio`;
export const FISH_PROFILE_PATH = 'profile';

export function fishOwnsPath(path: string): boolean {
  return path === FISH_PATH_PREFIX || path.startsWith(`${FISH_PATH_PREFIX}/`);
}

export function fishTaskAudioPath(taskId: string): string {
  return `${FISH_PATH_PREFIX}/v1/${FISH_TASKS_PATH}/${encodeURIComponent(taskId)}/audio`;
}

export function fishTaskPath(taskId: string): string {
  return `${FISH_PATH_PREFIX}/v1/${FISH_TASKS_PATH}/${encodeURIComponent(taskId)}`;
}
