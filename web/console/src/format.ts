// How the console writes numbers, times and money.

import type { StatusCategory } from './gql/graphql';

export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

export function money(m: { amount: number; currency: string }): string {
  return new Intl.NumberFormat(undefined, { style: 'currency', currency: m.currency }).format(m.amount / 100);
}

export function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** Major units as typed ("1,250.50" or "1250,5") to minor units; null when it is no amount. */
export function minorUnits(typed: string): number | null {
  const t = typed.trim().replace(/\s/g, '');
  if (!/^\d+([.,]\d{1,2})?$/.test(t)) return null;
  const [whole, frac = ''] = t.split(/[.,]/);
  return Number(whole) * 100 + Number(frac.padEnd(2, '0'));
}

/** The progress a partner reports while a lead is active (the contract's keys), in words. */
export const progressSteps: [string, string][] = [
  ['contacted', 'Contacted'],
  ['call_booked', 'Call booked'],
  ['proposal_sent', 'Proposal sent'],
  ['call_completed', 'Call completed'],
  ['other', 'Other'],
];

export function progressName(p: { key: string; name: string }): string {
  return progressSteps.find(([k]) => k === p.key)?.[1] ?? p.name;
}

/** A status category in words, in the order of a project's life. */
export const categoryNames: Record<StatusCategory, string> = {
  LEAD: 'Lead',
  OPEN: 'Open',
  IN_PROGRESS: 'In progress',
  WAITING: 'Waiting',
  DONE: 'Done',
  CANCELLED: 'Cancelled',
};

/** A date input's value (YYYY-MM-DD) as a time: noon there, so that it shows as that day in any nearby time zone. */
export function dayToTime(day: string): string {
  return new Date(`${day}T12:00:00`).toISOString();
}

export function dayOf(iso: string): string {
  return new Date(iso).toLocaleDateString(undefined, { dateStyle: 'medium' });
}
