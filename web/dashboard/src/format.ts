const numbers = new Intl.NumberFormat('en');

export function count(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : numbers.format(value);
}

export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`;
}

export function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : `${(value * 100).toFixed(value < 0.1 ? 1 : 0)} %`;
}

export function seconds(value: number | null | undefined): string {
  if (value === null || value === undefined) return 'none';
  if (value < 60) return `${value.toFixed(1)} s`;
  if (value < 3600) return `${Math.floor(value / 60)} min ${Math.round(value % 60)} s`;
  return `${(value / 3600).toFixed(1)} h`;
}

export function time(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return date.toLocaleString('en-GB', { hour12: false, dateStyle: 'short', timeStyle: 'medium' });
}

export function ago(iso: string, now = Date.now()): string {
  const elapsed = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return elapsed < 60 ? `${elapsed} s ago` : `${Math.round(elapsed / 60)} min ago`;
}
